import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StandinScript } from '../support/ollama-standin.js';
import { ollamaStackForSuite } from '../support/stack.js';
import { streamSse } from './http.js';

const UNICODE_REPLY = 'Grüße, ça va? 日本語のテキスト 👋🏽 naïve café — 終わり.';

/** Each route family: its path, a request body, and how to read the text of one SSE payload. */
const ROUTES: {
  name: string;
  path: string;
  body: Record<string, unknown>;
  text(payload: any): string;
}[] = [
  {
    name: 'legacy chat-completion',
    path: '/v1/inference/chat-completion',
    body: { model_id: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], stream: true },
    text: (p) => (p.event?.delta?.type === 'text' ? p.event.delta.text : ''),
  },
  {
    name: 'legacy completion',
    path: '/v1/inference/completion',
    body: { model_id: 'llama3.2:3b', content: 'hi', stream: true },
    text: (p) => p.delta ?? '',
  },
  {
    name: 'OpenAI chat/completions',
    path: '/v1/chat/completions',
    body: { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], stream: true },
    text: (p) => p.choices?.[0]?.delta?.content ?? '',
  },
  {
    name: 'OpenAI completions',
    path: '/v1/completions',
    body: { model: 'llama3.2:3b', prompt: 'hi', stream: true },
    text: (p) => p.choices?.[0]?.text ?? '',
  },
];

function textOf(route: (typeof ROUTES)[number], data: string[]): string {
  return data
    .filter((d) => d !== '[DONE]')
    .map((d) => route.text(JSON.parse(d)))
    .join('');
}

describe('streaming fidelity', () => {
  const env = ollamaStackForSuite();

  for (const route of ROUTES) {
    it(`${route.name}: relays the first token while Ollama is still generating`, async () => {
      // Five tokens 150 ms apart: the upstream answer takes at least 600 ms.
      env.ollama.script({ reply: 'one two three four five', tokenDelayMs: 150 });
      const seen = env.ollama.requests.length;
      const upstreamDone = (async () => {
        while (env.ollama.requests.length === seen) await sleep(2);
        await env.ollama.requests[seen]!.outcome;
        return Date.now();
      })();
      const sent = Date.now();
      const res = await streamSse(`${env.stack.url}${route.path}`, route.body);
      const finishedAt = await upstreamDone;
      assert.equal(res.status, 200);
      const texts = res.events.filter((e) => e.data !== '[DONE]' && route.text(JSON.parse(e.data)));
      assert.equal(texts.length, 5, 'one event per upstream token');
      const lead = finishedAt - (sent + texts[0]!.at);
      assert.ok(lead >= 400, `first text ${lead} ms before Ollama finished`);
      const spread = texts.at(-1)!.at - texts[0]!.at;
      assert.ok(spread >= 400, `token events spread over ${spread} ms, not batched`);
      assert.equal(
        textOf(
          route,
          res.events.map((e) => e.data),
        ),
        'one two three four five',
      );
    });
  }

  const plans: [string, StandinScript][] = [
    ['all lines in one write', { chunks: 'all' }],
    ['one write per line', { chunks: 'line' }],
    ['one byte per write', { chunks: 1, writeGapMs: 0 }],
    ['3 bytes per write', { chunks: 3, writeGapMs: 0 }],
    ['7 bytes per write', { chunks: 7, writeGapMs: 1 }],
  ];
  for (const route of ROUTES) {
    for (const [planName, plan] of plans) {
      it(`${route.name}: text is byte-exact with ${planName}`, async () => {
        env.ollama.script({ reply: UNICODE_REPLY, ...plan });
        const res = await streamSse(`${env.stack.url}${route.path}`, route.body);
        assert.equal(res.status, 200);
        assert.ok(!res.raw.includes('\uFFFD'), 'no replacement characters');
        assert.equal(
          textOf(
            route,
            res.events.map((e) => e.data),
          ),
          UNICODE_REPLY,
        );
      });
    }
  }

  it('keeps a character whole when the upstream write is cut inside its UTF-8 bytes', async () => {
    const route = ROUTES[2]!;
    // Cut every few bytes across the emoji and the CJK run, at offsets a line cannot align with.
    const offsets = Array.from({ length: 60 }, (_, i) => 40 + i * 5);
    env.ollama.script({ tokens: ['👋🏽', '日本', 'é', '—'], chunks: offsets, writeGapMs: 1 });
    const res = await streamSse(`${env.stack.url}${route.path}`, route.body);
    const texts = res.events
      .filter((e) => e.data !== '[DONE]')
      .map((e) => route.text(JSON.parse(e.data)))
      .filter((t) => t !== '');
    assert.deepEqual(texts, ['👋🏽', '日本', 'é', '—'], 'one event per token, each whole');
  });
});
