import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatEvent, InferenceProvider } from '../../src/inference/types.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { callContext, chatRequest, collect, ollamaProvider, textOf } from './harness.js';

const UNICODE_REPLY = 'Bonjour, ça va? 日本語のテキスト 👋🏽 naïve café — fin.';

describe('Ollama provider: streaming answers', () => {
  let ollama: OllamaStandin;
  let provider: InferenceProvider;

  before(async () => {
    ollama = await startOllamaStandin();
    provider = ollamaProvider({ url: ollama.url });
  });
  after(async () => {
    await provider.close();
    await ollama.close();
  });

  it('relays each token as it arrives, not after the whole answer', async () => {
    ollama.script({ reply: 'one two three four', tokenDelayMs: 300 });
    const started = Date.now();
    const iterator = (await provider.chat(chatRequest(), callContext()))[Symbol.asyncIterator]();
    const first = await iterator.next();
    const firstAt = Date.now() - started;
    assert.deepEqual(first.value, { type: 'text', text: 'one' });
    // The remaining three tokens take >= 900 ms upstream; the first must come well before.
    assert.ok(firstAt < 600, `first event after ${firstAt} ms`);
    const rest: ChatEvent[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(r.value);
    assert.ok(Date.now() - started >= 850);
    assert.equal(textOf(rest), ' two three four');
  });

  const chunkings: [string, Parameters<OllamaStandin['script']>[0]][] = [
    ['one write per line', { chunks: 'line' }],
    ['all lines in one write', { chunks: 'all' }],
    ['one byte per write', { chunks: 1, writeGapMs: 0 }],
    ['3 bytes per write (cuts multi-byte characters)', { chunks: 3, writeGapMs: 1 }],
    ['7 bytes per write', { chunks: 7, writeGapMs: 1 }],
  ];
  for (const [name, plan] of chunkings) {
    it(`keeps the text byte-exact with ${name}`, async () => {
      ollama.script({ reply: UNICODE_REPLY, ...plan });
      const events = await collect(await provider.chat(chatRequest(), callContext()));
      assert.equal(textOf(events), UNICODE_REPLY);
      assert.equal(events.at(-1)?.type, 'done');
      assert.ok(events.slice(0, -1).every((e) => e.type === 'text' && e.text.length > 0));
    });
  }

  it('reassembles a line cut inside a 4-byte emoji and inside a 2-byte character', async () => {
    const tokens = ['👋', 'é'];
    const firstLine = Buffer.from(
      JSON.stringify({
        model: 'llama3.2:3b',
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: '👋' },
        done: false,
      }),
    );
    // Offsets of the emoji's second byte and of é's second byte in the raw stream.
    const emojiAt = firstLine.indexOf(Buffer.from('👋')) + 1;
    ollama.script({
      tokens,
      chunks: [emojiAt, emojiAt + 2, firstLine.length + 1 + 60],
      writeGapMs: 20,
    });
    const events = await collect(await provider.chat(chatRequest(), callContext()));
    assert.equal(textOf(events), '👋é');
  });

  it('returns tool calls with JSON-string arguments, keeping Ollama ids and inventing missing ones', async () => {
    ollama.script({
      reply: 'Let me check.',
      toolCalls: [
        {
          name: 'lookup_city',
          arguments: { city: 'Lyon', facts: ['population'] },
          id: 'call_ab12cd34',
        },
        { name: 'weather', arguments: {} },
      ],
    });
    const events = await collect(await provider.chat(chatRequest(), callContext()));
    assert.equal(textOf(events), 'Let me check.');
    const calls = events.flatMap((e) => (e.type === 'tool_calls' ? e.calls : []));
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0], {
      id: 'call_ab12cd34',
      name: 'lookup_city',
      arguments: '{"city":"Lyon","facts":["population"]}',
    });
    assert.equal(calls[1]!.name, 'weather');
    assert.equal(calls[1]!.arguments, '{}');
    assert.match(calls[1]!.id, /^call_[a-z0-9]{8,}$/);
    const done = events.at(-1);
    assert.equal(done?.type === 'done' && done.finishReason, 'tool_calls');
  });

  it('returns tool calls from a stream:false reply too', async () => {
    ollama.script({ toolCalls: [{ name: 'f', arguments: { x: 1 } }] });
    const events = await collect(
      await provider.chat(chatRequest({ stream: false }), callContext()),
    );
    assert.equal(
      ollama.requests.at(-1)!.body && (ollama.requests.at(-1)!.body as any).stream,
      false,
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['tool_calls', 'done'],
    );
    assert.equal(events[0]!.type === 'tool_calls' && events[0]!.calls[0]!.arguments, '{"x":1}');
    assert.equal(events[1]!.type === 'done' && events[1]!.finishReason, 'tool_calls');
  });

  it('maps done_reason length, load and an absent reason, and reports usage', async () => {
    const lengthEvents = await collect(
      await provider.chat(chatRequest({ sampling: { maxTokens: 2 } }), callContext()),
    );
    assert.equal(textOf(lengthEvents), 'Hello! Happy');
    assert.deepEqual(lengthEvents.at(-1), {
      type: 'done',
      finishReason: 'length',
      usage: { promptTokens: (lengthEvents.at(-1) as any).usage.promptTokens, completionTokens: 2 },
    });
    assert.ok((lengthEvents.at(-1) as any).usage.promptTokens > 0);

    const load = await collect(await provider.chat(chatRequest({ messages: [] }), callContext()));
    // Ollama's load reply carries no metrics at all: usage falls back to zero.
    assert.deepEqual(load, [
      { type: 'done', finishReason: 'stop', usage: { promptTokens: 0, completionTokens: 0 } },
    ]);

    ollama.script({ doneReason: '', promptTokens: 5, completionTokens: 3, reply: 'ok' });
    const absent = await collect(await provider.chat(chatRequest(), callContext()));
    assert.deepEqual(absent.at(-1), {
      type: 'done',
      finishReason: 'stop',
      usage: { promptTokens: 5, completionTokens: 3 },
    });
  });

  it('answers stream:false requests with the whole text as one event', async () => {
    ollama.script({ reply: UNICODE_REPLY });
    const events = await collect(
      await provider.chat(chatRequest({ stream: false }), callContext()),
    );
    assert.deepEqual(events[0], { type: 'text', text: UNICODE_REPLY });
    assert.equal(events.length, 2);
  });

  it('streams completions from /api/generate', async () => {
    ollama.script({ reply: 'return a + b', chunks: 2, writeGapMs: 0 });
    const req = { model: 'llama3.2:3b', prompt: 'def add(a, b):', sampling: {}, stream: true };
    const events = await collect(await provider.complete(req, callContext()));
    assert.equal(textOf(events), 'return a + b');
    assert.equal(events.at(-1)?.type === 'done' && events.at(-1)?.type, 'done');
  });
});
