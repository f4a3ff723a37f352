import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  InvalidRequestError,
  ModelNotFoundError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../src/errors/errors.js';
import type { ChatEvent, InferenceProvider } from '../../src/inference/types.js';
import { startOpenAIStandin } from '../support/openai-standin.js';
import type { OpenAIStandin } from '../support/openai-standin.js';
import { callContext, chatRequest, collect, openaiCompatProvider, textOf } from './harness.js';

const MODEL = 'gpt-4o-mini';
const TEXT = 'Grüße aus Zürich — 東京 🌸 ok';

async function drain(events: AsyncIterable<ChatEvent>) {
  const seen: ChatEvent[] = [];
  try {
    for await (const e of events) seen.push(e);
    return { seen, error: undefined };
  } catch (error) {
    return { seen, error };
  }
}

describe('OpenAI-compatible providers: streaming', () => {
  let api: OpenAIStandin;
  let provider: InferenceProvider;
  before(async () => {
    api = await startOpenAIStandin();
    provider = openaiCompatProvider('vllm', { url: api.url, idle_timeout: 0.8 });
  });
  after(async () => {
    await provider.close();
    await api.close();
  });
  const req = (o = {}) => chatRequest({ model: MODEL, ...o });

  it('relays deltas as they arrive', async () => {
    // Upstream needs >= 1.8 s for the whole answer (6 frames after the first, 300 ms apart).
    api.script({ reply: 'one two three four', tokenDelayMs: 300 });
    const started = Date.now();
    const it = (await provider.chat(req(), callContext()))[Symbol.asyncIterator]();
    assert.deepEqual((await it.next()).value, { type: 'text', text: 'one' });
    assert.ok(Date.now() - started < 1000, 'first delta before the rest was sent');
    await it.return?.();
    assert.equal(await api.requests.at(-1)!.outcome, 'aborted');
  });

  for (const chunks of ['all', 'line', 1, 5] as const) {
    it(`keeps text byte-exact with chunks=${chunks}`, async () => {
      api.script({ reply: TEXT, chunks, writeGapMs: chunks === 1 ? 0 : 1 });
      const events = await collect(await provider.chat(req(), callContext()));
      assert.equal(textOf(events), TEXT);
      const done = events.at(-1);
      assert.equal(done?.type, 'done');
      assert.ok(
        done?.type === 'done' && done.usage.completionTokens > 0 && done.usage.promptTokens > 0,
      );
    });
  }

  it('accumulates tool-call argument fragments by index into one tool_calls event', async () => {
    api.script({
      chunks: 3,
      writeGapMs: 0,
      toolCalls: [
        { name: 'lookup_city', arguments: { city: 'Lyon', year: 2024 }, id: 'call_a' },
        { name: 'weather', arguments: { unit: 'celsius' }, id: 'call_b' },
      ],
    });
    const events = await collect(await provider.chat(req(), callContext()));
    const toolEvents = events.filter((e) => e.type === 'tool_calls');
    assert.equal(toolEvents.length, 1);
    assert.deepEqual(toolEvents[0], {
      type: 'tool_calls',
      calls: [
        { id: 'call_a', name: 'lookup_city', arguments: '{"city":"Lyon","year":2024}' },
        { id: 'call_b', name: 'weather', arguments: '{"unit":"celsius"}' },
      ],
    });
    assert.equal(
      events.at(-1)?.type === 'done' && (events.at(-1) as any).finishReason,
      'tool_calls',
    );
  });

  it('maps finish_reason length and non-stream replies (text, tool calls, usage)', async () => {
    const short = await collect(
      await provider.chat(req({ sampling: { maxTokens: 1 } }), callContext()),
    );
    assert.equal(textOf(short), 'Hello!');
    assert.equal((short.at(-1) as any).finishReason, 'length');

    api.script({ reply: TEXT, promptTokens: 11, completionTokens: 7 });
    assert.deepEqual(await collect(await provider.chat(req({ stream: false }), callContext())), [
      { type: 'text', text: TEXT },
      { type: 'done', finishReason: 'stop', usage: { promptTokens: 11, completionTokens: 7 } },
    ]);
    api.script({ toolCalls: [{ name: 'f', arguments: { x: 1 }, id: 'call_z' }] });
    const tools = await collect(await provider.chat(req({ stream: false }), callContext()));
    assert.deepEqual(tools[0], {
      type: 'tool_calls',
      calls: [{ id: 'call_z', name: 'f', arguments: '{"x":1}' }],
    });
    assert.equal((tools[1] as any).finishReason, 'tool_calls');
  });

  it('an error event mid-stream throws after the deltas before it', async () => {
    api.script({ reply: 'a b c', errorAfterTokens: 1, error: 'The engine is overloaded' });
    const { seen, error } = await drain(await provider.chat(req(), callContext()));
    assert.equal(textOf(seen), 'a');
    assert.ok(error instanceof UpstreamError);
    assert.match((error as Error).message, /The engine is overloaded/);
  });

  it('a stream without data: [DONE] or cut off mid-way throws, never a fake done', async () => {
    api.script({ reply: 'a b', omitDone: true });
    const missing = await drain(await provider.chat(req(), callContext()));
    assert.ok(missing.seen.every((e) => e.type !== 'done'));
    assert.match(String(missing.error), /without data: \[DONE\]/);

    api.script({ reply: 'a b c', dropAfterTokens: 2, tokenDelayMs: 10 });
    const dropped = await drain(await provider.chat(req(), callContext()));
    assert.equal(textOf(dropped.seen), 'a b');
    assert.ok(dropped.error instanceof UpstreamError);
  });

  it('an idle gap longer than idle_timeout is a 504', async () => {
    api.script({ reply: 'a b', tokenDelayMs: 1200 });
    const { error } = await drain(await provider.chat(req(), callContext()));
    assert.ok(error instanceof UpstreamTimeoutError);
    assert.match(JSON.stringify((error as UpstreamTimeoutError).detail), /idle_timeout/);
  });

  it('abort mid-stream closes the upstream request and ends quietly', async () => {
    api.script({ reply: 'a b c d e', tokenDelayMs: 200 });
    const ctx = callContext();
    const seen: ChatEvent[] = [];
    for await (const e of await provider.chat(req(), ctx)) {
      seen.push(e);
      ctx.abort();
    }
    assert.equal(seen.length, 1);
    assert.equal(await api.requests.at(-1)!.outcome, 'aborted');
  });
});

describe('OpenAI-compatible providers: failures before the first byte', () => {
  let api: OpenAIStandin;
  let provider: InferenceProvider;
  before(async () => {
    api = await startOpenAIStandin();
    provider = openaiCompatProvider('openai', { url: api.url, first_byte_timeout: 0.3 });
  });
  after(async () => {
    await provider.close();
    await api.close();
  });

  it('maps 404, 400, 429, 503 and 500 with the message from the error envelope', async () => {
    await assert.rejects(provider.chat(chatRequest({ model: 'gpt-9' }), callContext()), (err) => {
      assert.ok(err instanceof ModelNotFoundError);
      assert.match(err.message, /does not serve 'gpt-9'/);
      return true;
    });
    const cases = [
      [400, InvalidRequestError, 400],
      [429, UpstreamError, 429],
      [503, UpstreamUnavailableError, 503],
      [500, UpstreamError, 502],
    ] as const;
    for (const [status, type, expected] of cases) {
      api.script({ status, error: `scripted ${status} message` });
      await assert.rejects(provider.chat(chatRequest({ model: MODEL }), callContext()), (err) => {
        assert.ok(err instanceof type);
        assert.equal((err as UpstreamError).status, expected);
        assert.match((err as Error).message, new RegExp(`scripted ${status} message`));
        return true;
      });
    }
  });

  it('first-byte timeout is a 504 and unreachable is a 503 naming the URL in the log detail only', async () => {
    api.script({ hang: true });
    await assert.rejects(
      provider.chat(chatRequest({ model: MODEL }), callContext()),
      UpstreamTimeoutError,
    );
    const gone = await startOpenAIStandin();
    await gone.close();
    const orphan = openaiCompatProvider('vllm', { url: gone.url });
    await assert.rejects(orphan.chat(chatRequest({ model: MODEL }), callContext()), (err) => {
      assert.ok(err instanceof UpstreamUnavailableError);
      assert.ok(!err.message.includes(gone.url), err.message);
      assert.ok(JSON.stringify(err.detail).includes(gone.url));
      assert.match(err.message, /connection refused/);
      return true;
    });
    await orphan.close();
  });
});
