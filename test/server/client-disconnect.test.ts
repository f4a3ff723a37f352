import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaStackForSuite, postJson } from '../support/stack.js';
import { streamSse } from './http.js';

const CHAT = { model_id: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] };
const OPENAI_CHAT = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] };

/** Settles with the outcome, or 'still running' if the upstream request is not over in time. */
function outcomeWithin(ollama: OllamaStandin, index: number, ms: number) {
  return Promise.race([
    ollama.requests[index]!.outcome,
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms)),
  ]);
}

/** Sends a POST and destroys the socket after `ms`, without reading anything. */
function postAndHangUp(url: string, body: unknown, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => resolve());
    req.end(JSON.stringify(body));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, ms);
  });
}

describe('client disconnects', () => {
  const env = ollamaStackForSuite();

  const streams: [string, string, Record<string, unknown>][] = [
    ['legacy chat', '/v1/inference/chat-completion', { ...CHAT, stream: true }],
    [
      'legacy completion',
      '/v1/inference/completion',
      { model_id: 'llama3.2:3b', content: 'x', stream: true },
    ],
    ['OpenAI chat', '/v1/chat/completions', { ...OPENAI_CHAT, stream: true }],
    ['OpenAI completion', '/v1/completions', { model: 'llama3.2:3b', prompt: 'x', stream: true }],
  ];
  for (const [name, path, body] of streams) {
    it(`${name}: hanging up mid-stream aborts the Ollama request at once`, async () => {
      // Twenty tokens 100 ms apart: finishing would take two seconds.
      env.ollama.script({
        reply: Array.from({ length: 20 }, (_, i) => `w${i}`).join(' '),
        tokenDelayMs: 100,
      });
      const index = env.ollama.requests.length;
      let texts = 0;
      await streamSse(`${env.stack.url}${path}`, body, (event) => {
        if (event.data.includes('w1')) texts++;
        return texts > 0;
      });
      const started = Date.now();
      assert.equal(await outcomeWithin(env.ollama, index, 1000), 'aborted');
      assert.ok(Date.now() - started < 1000);
    });
  }

  it('hanging up while Ollama has not answered yet aborts the Ollama request', async () => {
    for (const [path, body] of [
      ['/v1/inference/chat-completion', CHAT],
      ['/v1/chat/completions', { ...OPENAI_CHAT, stream: true }],
    ] as const) {
      env.ollama.script({ hang: true });
      const index = env.ollama.requests.length;
      await postAndHangUp(`${env.stack.url}${path}`, body, 150);
      assert.equal(await outcomeWithin(env.ollama, index, 1000), 'aborted', path);
    }
  });

  it('hanging up one stream leaves a concurrent stream on the same pool untouched', async () => {
    const words = Array.from({ length: 8 }, (_, i) => `v${i}`).join(' ');
    env.ollama.script({ reply: words, tokenDelayMs: 40 }, { reply: words, tokenDelayMs: 40 });
    const index = env.ollama.requests.length;
    const body = { ...OPENAI_CHAT, stream: true };
    const [aborted, whole] = await Promise.all([
      streamSse(`${env.stack.url}/v1/chat/completions`, body, (event) => event.data.includes('v2')),
      streamSse(`${env.stack.url}/v1/chat/completions`, body),
    ]);
    assert.ok(aborted.events.length < whole.events.length);
    assert.equal(whole.events.at(-1)?.data, '[DONE]');
    const text = whole.events
      .filter((e) => e.data !== '[DONE]')
      .map((e) => JSON.parse(e.data).choices[0]?.delta.content ?? '')
      .join('');
    assert.equal(text, words);
    const outcomes = await Promise.all([
      env.ollama.requests[index]!.outcome,
      env.ollama.requests[index + 1]!.outcome,
    ]);
    assert.deepEqual(outcomes.sort(), ['aborted', 'finished']);
  });

  it('the server keeps serving normally after aborted streams', async () => {
    const res = await postJson(`${env.stack.url}/v1/chat/completions`, OPENAI_CHAT);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.choices[0].finish_reason, 'stop');
  });
});
