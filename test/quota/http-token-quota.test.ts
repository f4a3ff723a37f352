import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { sseData } from '../support/stack.js';
import { assertRateLimited, call, nextReset, startQuotaEnv } from './http-support.js';
import type { QuotaEnv } from './http-support.js';

const BUDGET = 101;
const messages = [{ role: 'user', content: 'hi' }];
/** 25 words: the stand-in reports them as eval_count whether it streams or not. */
const EVERY_ANSWER = {
  times: Infinity,
  promptTokens: 25,
  reply: Array.from({ length: 25 }, (_, i) => `w${i}`).join(' '),
};

/**
 * Every generation reports 25 prompt + 25 completion tokens (embeddings: 25), so with a budget
 * of 101 exactly three generations fit (0, 50, 100 < 101) and the fourth is refused: one token
 * too few or too many charged per call shifts that point.
 */
describe('token budgets (max_tokens_per_period) through the stack server', () => {
  let env: QuotaEnv;
  let stack: RunningStack;

  before(async () => {
    env = await startQuotaEnv();
    env.ollama.script(EVERY_ANSWER);
    stack = await env.startStack(`    kvstore: {type: sqlite, db_path: ":memory:"}
    authenticated_max_requests: 1000
    period: day
    max_tokens_per_period: ${BUDGET}
`);
  });
  after(async () => {
    await env?.close();
  });

  const post = async (path: string, token: string, body: unknown) => {
    const res = await call(`${stack.url}${path}`, token, body);
    assert.equal(res.status, 200, `${path}: ${res.text}`);
    return res;
  };
  const generations = () => env.ollama.requests.filter((r) => r.method === 'POST').length;

  async function assertRefusedBeforeOllama(token: string, calls: [string, unknown][]) {
    const before = generations();
    for (const [path, body] of calls) {
      const message = assertRateLimited(await call(`${stack.url}${path}`, token, body));
      const reset = nextReset('day').toISOString().replace('.000Z', 'Z');
      assert.equal(
        message,
        `Token quota exceeded: ${BUDGET} tokens per day for this principal; resets at ${reset}`,
      );
    }
    assert.equal(generations(), before, 'a refused generation reached Ollama');
  }

  it('charges streamed and whole OpenAI-family answers, then refuses before calling Ollama', async () => {
    const token = await env.token('openai-user');
    const chat = await post('/v1/chat/completions', token, {
      model: 'llama3.2:3b',
      messages,
      stream: true,
    });
    assert.equal(sseData(chat.text).at(-1), '[DONE]');
    const completion = await post('/v1/completions', token, {
      model: 'llama3.2:3b',
      prompt: 'hi',
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(sseData(completion.text).at(-1), '[DONE]');
    const whole = await post('/v1/openai/v1/chat/completions', token, {
      model: 'llama3.2:3b',
      messages,
    });
    assert.equal(whole.json.usage.total_tokens, 50);

    await assertRefusedBeforeOllama(token, [
      ['/v1/chat/completions', { model: 'llama3.2:3b', messages }],
      ['/v1/chat/completions', { model: 'llama3.2:3b', messages, stream: true }],
      ['/v1/openai/v1/completions', { model: 'llama3.2:3b', prompt: 'hi' }],
      ['/v1/embeddings', { model: 'all-minilm:l6-v2', input: 'hi' }],
      ['/v1/inference/chat-completion', { model_id: 'llama3.2:3b', messages }],
    ]);
    // Only generation is refused; the request quota is separate.
    assert.equal((await call(`${stack.url}/v1/models`, token)).status, 200);
  });

  it('charges streamed and whole legacy answers, then refuses before calling Ollama', async () => {
    const token = await env.token('legacy-user');
    const chat = await post('/v1/inference/chat-completion', token, {
      model_id: 'llama3.2:3b',
      messages,
      stream: true,
    });
    assert.match(sseData(chat.text).at(-1)!, /"event_type":"complete"/);
    const completion = await post('/v1/inference/completion', token, {
      model_id: 'llama3.2:3b',
      content: 'hi',
      stream: true,
    });
    assert.match(sseData(completion.text).at(-1)!, /"stop_reason":"end_of_turn"/);
    await post('/v1/inference/chat-completion', token, { model_id: 'llama3.2:3b', messages });

    await assertRefusedBeforeOllama(token, [
      ['/v1/inference/completion', { model_id: 'llama3.2:3b', content: 'hi' }],
      ['/v1/inference/chat-completion', { model_id: 'llama3.2:3b', messages, stream: true }],
      ['/v1/inference/embeddings', { model_id: 'all-minilm:l6-v2', contents: ['hi'] }],
    ]);
  });

  it('charges the prompt tokens of embeddings on both route families', async () => {
    const token = await env.token('embedding-user');
    for (let i = 0; i < 5; i++) {
      if (i % 2 === 0)
        await post('/v1/embeddings', token, { model: 'all-minilm:l6-v2', input: 'hi' });
      else {
        await post('/v1/inference/embeddings', token, {
          model_id: 'all-minilm:l6-v2',
          contents: ['hi'],
        });
      }
    }
    await assertRefusedBeforeOllama(token, [
      ['/v1/openai/v1/embeddings', { model: 'all-minilm:l6-v2', input: ['hi'] }],
    ]);
  });

  it('charges streams the client abandons before their end, on both route families', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
    const abandon = async (token: string, path: string, body: unknown) => {
      env.ollama.script({ reply: long, promptTokens: 25, tokenDelayMs: 10 });
      const controller = new AbortController();
      const res = await fetch(`${stack.url}${path}`, {
        method: 'POST',
        signal: controller.signal,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('w30')) {
        const { value, done } = await reader.read();
        assert.ok(!done, 'the stream ended before the client gave up');
        text += Buffer.from(value).toString('utf8');
      }
      controller.abort();
      assert.equal(await env.ollama.requests.at(-1)!.outcome, 'aborted');
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const cases: [string, string, unknown][] = [
      ['abandon-openai', '/v1/chat/completions', { model: 'llama3.2:3b', messages, stream: true }],
      [
        'abandon-legacy',
        '/v1/inference/completion',
        { model_id: 'llama3.2:3b', content: 'hi', stream: true },
      ],
    ];
    env.ollama.clearScripts();
    try {
      for (const [sub, path, body] of cases) {
        const token = await env.token(sub);
        // 31+ tokens each were delivered: four abandoned streams spend the budget of 101.
        for (let i = 0; i < 4; i++) await abandon(token, path, body);
        await assertRefusedBeforeOllama(token, [[path, body]]);
      }
    } finally {
      env.ollama.clearScripts();
      env.ollama.script(EVERY_ANSWER);
    }
  });

  it('keeps budgets per principal', async () => {
    const res = await post('/v1/chat/completions', await env.token('someone-else'), {
      model: 'llama3.2:3b',
      messages,
    });
    assert.equal(res.json.usage.total_tokens, 50);
  });

  it('charges one token per event when the upstream reports no completion tokens', async () => {
    const token = await env.token('no-usage-user');
    env.ollama.clearScripts();
    env.ollama.script({
      times: Infinity,
      promptTokens: 0,
      completionTokens: 0,
      reply: Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '),
    });
    try {
      // 40 words each: charged 40, 80, 120 -> the fourth generation is refused.
      await post('/v1/chat/completions', token, { model: 'llama3.2:3b', messages, stream: true });
      await post('/v1/inference/chat-completion', token, { model_id: 'llama3.2:3b', messages });
      await post('/v1/chat/completions', token, { model: 'llama3.2:3b', messages, stream: true });
      await assertRefusedBeforeOllama(token, [
        ['/v1/chat/completions', { model: 'llama3.2:3b', messages, stream: true }],
      ]);
    } finally {
      env.ollama.clearScripts();
      env.ollama.script(EVERY_ANSWER);
    }
  });
});
