import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin, StandinScript } from '../support/ollama-standin.js';
import { ollamaRunYaml, postJson, sseData, startTestStack } from '../support/stack.js';
import { assertError, closedPortUrl, send } from './http.js';

/** run.yaml for the stand-in with short upstream timeouts, so timeouts are testable. */
function yamlWithTimeouts(url: string): string {
  return ollamaRunYaml(url).replace(
    `url: ${url}`,
    `url: ${url}\n        first_byte_timeout: 0.4\n        idle_timeout: 0.4`,
  );
}

const CHAT = { model_id: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] };
const OPENAI_CHAT = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] };

/** Every generating route, streaming and not. */
const CALLS: [string, string, Record<string, unknown>][] = [
  ['legacy chat', '/v1/inference/chat-completion', CHAT],
  ['legacy chat stream', '/v1/inference/chat-completion', { ...CHAT, stream: true }],
  ['legacy completion', '/v1/inference/completion', { model_id: 'llama3.2:3b', content: 'x' }],
  ['OpenAI chat', '/v1/chat/completions', OPENAI_CHAT],
  ['OpenAI chat stream', '/v1/chat/completions', { ...OPENAI_CHAT, stream: true }],
  [
    'OpenAI completion stream',
    '/v1/completions',
    { model: 'llama3.2:3b', prompt: 'x', stream: true },
  ],
];

describe('upstream faults before the first byte', () => {
  let ollama: OllamaStandin;
  let stack: RunningStack;

  before(async () => {
    ollama = await startOllamaStandin();
    stack = await startTestStack(yamlWithTimeouts(ollama.url));
  });
  after(async () => {
    await stack.close();
    await ollama.close();
  });

  const cases: [string, StandinScript, number, string, RegExp][] = [
    [
      'Ollama 429',
      { status: 429, error: 'too many requests' },
      429,
      'rate_limited',
      /too many requests/,
    ],
    [
      'Ollama 503 (queue full)',
      { status: 503, error: 'server busy, please try again.  maximum pending requests exceeded' },
      503,
      'upstream_unavailable',
      /server busy/,
    ],
    [
      'Ollama 500 (runner crash)',
      { status: 500, error: 'llama runner process has terminated: exit status 2' },
      502,
      'upstream_error',
      /llama runner process has terminated/,
    ],
    [
      'Ollama 400',
      { status: 400, error: 'invalid format' },
      400,
      'invalid_request',
      /invalid format/,
    ],
    [
      'no first byte within first_byte_timeout',
      { hang: true },
      504,
      'upstream_timeout',
      /sent no output within 0\.4 s/,
    ],
  ];
  for (const [name, script, status, code, message] of cases) {
    // A timeout costs real time: check it on one streaming and one plain call per family.
    const timed = new Set([
      'legacy chat',
      'legacy chat stream',
      'OpenAI chat',
      'OpenAI chat stream',
    ]);
    const calls = script.hang ? CALLS.filter(([callName]) => timed.has(callName)) : CALLS;
    for (const [callName, path, body] of calls) {
      it(`${name} → ${status} JSON error on ${callName}`, async () => {
        ollama.script(script);
        const res = await postJson(`${stack.url}${path}`, body);
        assert.match(assertError(res, status, code), message);
        if (status === 429) assert.ok(res.headers.get('retry-after'));
      });
    }
  }

  it('a model Ollama no longer has → 404 naming the model, streaming or not', async () => {
    const removed = ollama.models.splice(0, 1);
    try {
      for (const [, path, body] of CALLS) {
        const res = await postJson(`${stack.url}${path}`, body);
        assert.match(assertError(res, 404, 'model_not_found'), /llama3\.2:3b/);
        assert.match(res.json.error.message, /ollama pull llama3\.2:3b/);
      }
    } finally {
      ollama.models.unshift(...removed);
    }
  });

  it('a stalled embedding call → 504', async () => {
    ollama.script({ hang: true });
    const res = await postJson(`${stack.url}/v1/embeddings`, {
      model: 'all-minilm:l6-v2',
      input: 'x',
    });
    assertError(res, 504, 'upstream_timeout');
  });
});

describe('Ollama not reachable', () => {
  let stack: RunningStack;
  before(async () => {
    stack = await startTestStack(ollamaRunYaml(await closedPortUrl()));
  });
  after(async () => stack.close());

  for (const [callName, path, body] of [
    ...CALLS,
    ['OpenAI embeddings', '/v1/embeddings', { model: 'all-minilm:l6-v2', input: 'x' }] as const,
    [
      'legacy embeddings',
      '/v1/inference/embeddings',
      { model_id: 'all-minilm:l6-v2', contents: ['x'] },
    ] as const,
  ]) {
    it(`connection refused → 503 on ${callName}`, async () => {
      const res = await postJson(`${stack.url}${path}`, body);
      const message = assertError(res, 503, 'upstream_unavailable');
      assert.match(message, /not reachable \(connection refused\)/);
    });
  }

  it('still lists the run.yaml models, and registering a model → 503', async () => {
    const list = await send('GET', `${stack.url}/v1/models`);
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.data.map((m: any) => m.identifier).sort(), [
      'ollama/all-minilm:l6-v2',
      'ollama/llama3.2:3b',
    ]);
    const res = await postJson(`${stack.url}/v1/models`, { model_id: 'qwen2.5:0.5b' });
    assertError(res, 503, 'upstream_unavailable');
  });
});

describe('upstream faults after the stream began', () => {
  let ollama: OllamaStandin;
  let stack: RunningStack;

  before(async () => {
    ollama = await startOllamaStandin();
    stack = await startTestStack(yamlWithTimeouts(ollama.url));
  });
  after(async () => {
    await stack.close();
    await ollama.close();
  });

  const STREAMS: [string, string, Record<string, unknown>, (payload: any) => boolean][] = [
    [
      'legacy chat',
      '/v1/inference/chat-completion',
      { ...CHAT, stream: true },
      (p) => p.event?.event_type === 'complete' || p.event?.stop_reason != null,
    ],
    [
      'legacy completion',
      '/v1/inference/completion',
      { model_id: 'llama3.2:3b', content: 'x', stream: true },
      (p) => p.stop_reason != null,
    ],
    [
      'OpenAI chat',
      '/v1/chat/completions',
      { ...OPENAI_CHAT, stream: true, stream_options: { include_usage: true } },
      (p) => p.choices?.some((c: any) => c.finish_reason != null) || p.usage != null,
    ],
    [
      'OpenAI completion',
      '/v1/completions',
      { model: 'llama3.2:3b', prompt: 'x', stream: true },
      (p) => p.choices?.some((c: any) => c.finish_reason != null),
    ],
  ];
  const faults: [string, StandinScript, string, RegExp][] = [
    [
      'an {"error"} line',
      { reply: 'one two three', errorAfterTokens: 2, error: 'runner crashed', tokenDelayMs: 5 },
      'upstream_error',
      /runner crashed/,
    ],
    [
      // Decoded the moment the stream is set up, before the SSE writer starts.
      'an {"error"} line that came with the response headers',
      { reply: 'one two three', errorAfterTokens: 0, error: 'runner crashed' },
      'upstream_error',
      /runner crashed/,
    ],
    [
      'a dropped connection',
      { reply: 'one two three', dropAfterTokens: 2, tokenDelayMs: 5 },
      'upstream_error',
      /./,
    ],
    [
      'a body that ends without done',
      { reply: 'one two three', omitDone: true, tokenDelayMs: 5 },
      'upstream_error',
      /without "done"|incomplete/,
    ],
    [
      'silence longer than idle_timeout',
      { reply: 'one two three', tokenDelayMs: 1500 },
      'upstream_timeout',
      /sent nothing for 0\.4 s/,
    ],
  ];
  for (const [routeName, path, body, isSuccessEnd] of STREAMS) {
    for (const [faultName, script, code, message] of faults) {
      it(`${routeName}: ${faultName} → one SSE error event and no fake success`, async () => {
        ollama.script(script);
        const res = await postJson(`${stack.url}${path}`, body);
        assert.equal(res.status, 200);
        assert.ok(res.text.endsWith('\n\n'), 'every event is terminated');
        const data = sseData(res.text);
        assert.ok(!data.includes('[DONE]'), 'no [DONE]');
        const payloads = data.map((d) => JSON.parse(d));
        const last = payloads.at(-1);
        assert.deepEqual(Object.keys(last), ['error'], `last event is the error: ${res.text}`);
        assert.equal(last.error.code, code);
        assert.match(last.error.message, message);
        assert.equal(typeof last.error.type, 'string');
        assert.equal(payloads.filter((p) => 'error' in p).length, 1, 'exactly one error event');
        assert.ok(!payloads.some(isSuccessEnd), `no success ending: ${res.text}`);
        assert.doesNotMatch(res.text, /\n\s+at |node_modules|\.ts:\d+/);
      });
    }
  }
});
