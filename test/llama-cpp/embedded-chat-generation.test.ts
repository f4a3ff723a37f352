/**
 * The embedded engine end to end with a generated tiny model and the real node-llama-cpp:
 * streaming order, token counts, sampling, stop strings, grammars, completions, embeddings and
 * the requests it must refuse.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { GatewayError, InvalidRequestError, ModelNotFoundError } from '../../src/errors/errors.js';
import type { ChatRequest, InferenceProvider } from '../../src/inference/types.js';
import { writeTinyModel } from '../../src/providers/llama-cpp/index.js';
import {
  callContext,
  chatRequest,
  collect,
  doneOf,
  startedProvider,
  tempDir,
  textOf,
} from './helpers.js';

let cleanup: () => Promise<void>;
let chat: InferenceProvider;
let endless: InferenceProvider;
let embedder: InferenceProvider;
let toolUser: InferenceProvider;

before(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  const chatPath = join(tmp.dir, 'tiny.gguf');
  const endlessPath = join(tmp.dir, 'endless.gguf');
  const embedPath = join(tmp.dir, 'embed.gguf');
  const toolsPath = join(tmp.dir, 'tools.gguf');
  await writeTinyModel(toolsPath, { seed: 6, toolCalls: 'eager' });
  await writeTinyModel(chatPath, { seed: 3 });
  await writeTinyModel(endlessPath, { seed: 4, endOfTurn: 'never' });
  await writeTinyModel(embedPath, { seed: 5, embedding: true });
  chat = await startedProvider({ model_path: chatPath });
  endless = await startedProvider({ model_path: endlessPath });
  toolUser = await startedProvider({ model_path: toolsPath });
  embedder = await startedProvider({ model_path: embedPath }, [
    { providerModelId: 'embed', modelType: 'embedding', metadata: {} },
  ]);
});

after(async () => {
  await Promise.all([chat?.close(), endless?.close(), embedder?.close(), toolUser?.close()]);
  await cleanup?.();
});

describe('chat with the model chat template', () => {
  it('streams text events, then exactly one done with real token counts', async () => {
    const events = await collect(await endless.chat(chatRequest('endless'), callContext()));
    const done = doneOf(events);
    assert.ok(done, 'stream ends with done');
    assert.equal(events.at(-1), done);
    assert.equal(events.filter((e) => e.type === 'done').length, 1);
    const texts = events.filter((e) => e.type === 'text');
    assert.ok(texts.length >= 2, `several text events, got ${texts.length}`);
    assert.ok(textOf(events).trim().length > 0);
    assert.ok(done.usage.promptTokens > 10, `prompt tokens ${done.usage.promptTokens}`);
    assert.equal(done.usage.completionTokens, 8);
  });

  it('answers a non-streaming request with the same event shape', async () => {
    const events = await collect(
      await chat.chat(chatRequest('tiny', { stream: false }), callContext()),
    );
    const done = doneOf(events);
    assert.ok(done);
    assert.ok(done.usage.completionTokens > 0);
    assert.ok(['stop', 'length'].includes(done.finishReason));
  });

  it('reports finishReason length when maxTokens is reached', async () => {
    const req = chatRequest('endless', { sampling: { maxTokens: 3, temperature: 0 } });
    const done = doneOf(await collect(await endless.chat(req, callContext())));
    assert.equal(done?.finishReason, 'length');
    assert.equal(done?.usage.completionTokens, 3);
  });

  it('is reproducible with a seed', async () => {
    const req = chatRequest('endless', { sampling: { maxTokens: 12, temperature: 1, seed: 42 } });
    const a = textOf(await collect(await endless.chat(req, callContext())));
    const b = textOf(await collect(await endless.chat(req, callContext())));
    assert.equal(a, b);
  });

  it('stops at a stop string and leaves it out of the text', async () => {
    const sampling = { maxTokens: 12, temperature: 0 };
    const full = textOf(
      await collect(await endless.chat(chatRequest('endless', { sampling }), callContext())),
    );
    const words = full.split(' ').filter(Boolean);
    assert.ok(words.length >= 4, `enough words to pick a stop from: ${full}`);
    const stop = ` ${words[2]}`;
    const expected = full.slice(0, full.indexOf(stop));
    const events = await collect(
      await endless.chat(
        chatRequest('endless', { sampling: { ...sampling, stop: [stop] } }),
        callContext(),
      ),
    );
    assert.equal(textOf(events), expected);
    assert.equal(doneOf(events)?.finishReason, 'stop');
  });

  it('produces JSON that matches a json_schema through grammar-constrained sampling', async () => {
    const schema = {
      type: 'object',
      properties: {
        answer: { type: 'string', maxLength: 24 },
        ok: { type: 'boolean' },
        count: { type: 'integer' },
        colour: { enum: ['red', 'green'] },
      },
      required: ['answer', 'ok', 'count', 'colour'],
    };
    const req = chatRequest('endless', {
      sampling: { maxTokens: 200, temperature: 0.7, seed: 1 },
      responseFormat: { type: 'json_schema', schema },
    });
    const events = await collect(await endless.chat(req, callContext()));
    assert.equal(doneOf(events)?.finishReason, 'stop');
    const value = JSON.parse(textOf(events)) as Record<string, unknown>;
    assert.equal(typeof value.answer, 'string');
    assert.ok((value.answer as string).length <= 24);
    assert.equal(typeof value.ok, 'boolean');
    assert.ok(Number.isInteger(value.count));
    assert.ok(['red', 'green'].includes(value.colour as string));
  });

  it('streams characters split across byte tokens as whole UTF-8 text', async () => {
    // The tiny vocabulary has no token for these characters: they are emitted byte by byte,
    // forced by the grammar, and must never surface as broken halves.
    const phrase = 'llama 🦙 café — 日本';
    const req = chatRequest('endless', {
      sampling: { maxTokens: 80, temperature: 0 },
      responseFormat: { type: 'json_schema', schema: { const: phrase } },
    });
    const events = await collect(await endless.chat(req, callContext()));
    const texts = events.flatMap((e) => (e.type === 'text' ? [e.text] : []));
    assert.ok(texts.length > 3, 'streamed in several chunks');
    for (const t of texts)
      assert.ok(!t.includes('\uFFFD'), `no replacement char in ${JSON.stringify(t)}`);
    assert.equal(JSON.parse(texts.join('')), phrase);
  });

  it('starts JSON mode output with an object', async () => {
    const req = chatRequest('endless', {
      sampling: { maxTokens: 6, temperature: 0.7, seed: 2 },
      responseFormat: { type: 'json' },
    });
    const text = textOf(await collect(await endless.chat(req, callContext())));
    assert.match(text, /^\s*[{[]/);
  });

  it('rejects schema keywords the grammar cannot enforce with 400 naming them', async () => {
    const schema = {
      type: 'object',
      properties: { code: { type: 'string', pattern: '^[A-Z]{3}$' } },
    };
    const req = chatRequest('endless', { responseFormat: { type: 'json_schema', schema } });
    await assert.rejects(endless.chat(req, callContext()), (err: GatewayError) => {
      assert.equal(err.status, 400);
      assert.match(err.message, /pattern is not supported at #\/properties\/code\/pattern/);
      return true;
    });
  });

  it('honours anyOf (as pydantic Optional fields use it)', async () => {
    const schema = {
      type: 'object',
      properties: { maybe: { anyOf: [{ type: 'boolean' }, { type: 'null' }] } },
      required: ['maybe'],
    };
    const req = chatRequest('endless', {
      sampling: { maxTokens: 60, temperature: 0.5, seed: 3 },
      responseFormat: { type: 'json_schema', schema },
    });
    const value = JSON.parse(textOf(await collect(await endless.chat(req, callContext()))));
    assert.ok(value.maybe === null || typeof value.maybe === 'boolean', JSON.stringify(value));
  });
});

describe('requests the embedded engine refuses before generating', () => {
  it('rejects images with 400', async () => {
    const req = chatRequest('tiny', {
      messages: [{ role: 'user', content: 'what is this?', images: ['aGVsbG8='] }],
    });
    await assert.rejects(chat.chat(req, callContext()), { status: 400 });
  });

  it('rejects a prompt longer than the context with 400 naming context_size', async () => {
    const long = 'the llama walked far '.repeat(1200);
    const req = chatRequest('tiny', { messages: [{ role: 'user', content: long }] });
    await assert.rejects(chat.chat(req, callContext()), (err: InvalidRequestError) => {
      assert.equal(err.status, 400);
      assert.match(err.message, /context_size/);
      return true;
    });
  });

  it('answers an unknown model with 404', async () => {
    await assert.rejects(
      chat.chat(chatRequest('llama-none'), callContext()),
      (err) => err instanceof ModelNotFoundError && err.status === 404,
    );
  });
});

describe('tool calling through node-llama-cpp function calling', () => {
  const weather = {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', maxLength: 12 }, days: { enum: [1, 2, 3] } },
      required: ['city', 'days'],
    },
  };
  const ask = (overrides: Partial<ChatRequest> = {}) =>
    chatRequest('tools', {
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weather],
      sampling: { maxTokens: 80, temperature: 0 },
      ...overrides,
    });

  it('returns the call with an id, JSON arguments matching its schema, and tool_calls', async () => {
    const events = await collect(await toolUser.chat(ask(), callContext()));
    assert.deepEqual(
      events.map((e) => e.type),
      ['tool_calls', 'done'],
    );
    const calls = events[0]?.type === 'tool_calls' ? events[0].calls : [];
    assert.equal(calls.length, 1);
    assert.match(calls[0]!.id, /^call_[a-z0-9]+$/);
    assert.equal(calls[0]!.name, 'get_weather');
    const args = JSON.parse(calls[0]!.arguments);
    assert.equal(typeof args.city, 'string');
    assert.ok(args.city.length <= 12);
    assert.ok([1, 2, 3].includes(args.days));
    const done = doneOf(events);
    assert.equal(done?.finishReason, 'tool_calls');
    assert.ok((done?.usage.completionTokens ?? 0) > 0);
  });

  it('renders earlier calls with their results into the prompt', async () => {
    const withResult = (result: string) =>
      ask({
        toolChoice: 'none',
        sampling: { maxTokens: 2 },
        messages: [
          { role: 'user', content: 'What is the weather in Paris?' },
          {
            role: 'assistant',
            content: '',
            toolCalls: [
              { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris","days":1}' },
            ],
          },
          { role: 'tool', content: result, toolCallId: 'call_1' },
        ],
      });
    const short = doneOf(await collect(await toolUser.chat(withResult('sunny'), callContext())));
    const long = doneOf(
      await collect(
        await toolUser.chat(withResult('sunny with a light breeze from the west'), callContext()),
      ),
    );
    assert.ok(short && long);
    assert.ok(long.usage.promptTokens > short.usage.promptTokens + 5);
  });

  it('sends no functions with tool_choice none', async () => {
    const events = await collect(
      await toolUser.chat(ask({ toolChoice: 'none', sampling: { maxTokens: 3 } }), callContext()),
    );
    assert.ok(!events.some((e) => e.type === 'tool_calls'));
    assert.equal(doneOf(events)?.finishReason, 'length');
  });

  it('refuses what it cannot honour with 400', async () => {
    const cases: [Partial<ChatRequest>, RegExp][] = [
      [{ toolChoice: 'required' }, /cannot force a tool call/],
      [{ toolChoice: { name: 'get_weather' } }, /cannot force a tool call/],
      [{ responseFormat: { type: 'json' } }, /cannot combine tools with response_format/],
      [
        { tools: [{ name: 'f', parameters: { type: 'object', not: {} } }] },
        /the parameters of tool 'f' cannot be enforced .*not is not supported/,
      ],
      [
        {
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'tool', content: 'orphan', toolCallId: 'call_x' },
          ],
        },
        /no earlier assistant message made that tool call/,
      ],
    ];
    for (const [overrides, message] of cases) {
      await assert.rejects(toolUser.chat(ask(overrides), callContext()), (err: GatewayError) => {
        assert.equal(err.status, 400);
        assert.match(err.message, message);
        return true;
      });
    }
  });
});

describe('raw completion', () => {
  it('continues a prompt without the chat template', async () => {
    const events = await collect(
      await endless.complete(
        { model: 'endless', prompt: 'Once upon a time', sampling: { maxTokens: 5 }, stream: true },
        callContext(),
      ),
    );
    const done = doneOf(events);
    assert.equal(done?.finishReason, 'length');
    assert.equal(done?.usage.completionTokens, 5);
    assert.ok((done?.usage.promptTokens ?? 0) >= 4);
    assert.ok(textOf(events).length > 0);
  });
});

describe('embeddings', () => {
  it('returns one normalised vector per input with prompt token counts', async () => {
    const res = await embedder.embed(
      { model: 'embed', input: ['the llama', 'a gateway with real identity'] },
      callContext(),
    );
    assert.equal(res.embeddings.length, 2);
    for (const v of res.embeddings) {
      assert.equal(v.length, 64);
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
    }
    assert.notDeepEqual(res.embeddings[0], res.embeddings[1]);
    assert.ok(res.promptTokens > 4);
    const again = await embedder.embed({ model: 'embed', input: ['the llama'] }, callContext());
    assert.deepEqual(again.embeddings[0], res.embeddings[0]);
  });

  it('rejects a dimensions value the model cannot produce', async () => {
    await assert.rejects(
      embedder.embed({ model: 'embed', input: ['x'], dimensions: 32 }, callContext()),
      /64-dimensional/,
    );
  });

  it('refuses to chat with an embedding model and to embed with a chat model', async () => {
    await assert.rejects(embedder.chat(chatRequest('embed'), callContext()), { status: 400 });
    await assert.rejects(chat.embed({ model: 'tiny', input: ['x'] }, callContext()), {
      status: 400,
    });
  });

  it('lists the served model with its type and dimension', async () => {
    const [model] = await embedder.listModels();
    assert.equal(model?.modelType, 'embedding');
    assert.equal(model?.metadata.embedding_dimension, 64);
    assert.deepEqual(await embedder.health(), { status: 'OK' });
    assert.equal(embedder.publicConfig().embedding, true);
  });
});
