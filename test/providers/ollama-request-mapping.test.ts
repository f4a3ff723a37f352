import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { InvalidRequestError } from '../../src/errors/errors.js';
import type { InferenceProvider } from '../../src/inference/types.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { callContext, chatRequest, collect, ollamaProvider } from './harness.js';

describe('Ollama provider: what it sends upstream', () => {
  let ollama: OllamaStandin;
  let provider: InferenceProvider;

  before(async () => {
    ollama = await startOllamaStandin();
    provider = ollamaProvider({ url: ollama.url, keep_alive: '30m' });
  });
  after(async () => {
    await provider.close();
    await ollama.close();
  });
  beforeEach(() => {
    ollama.requests.length = 0;
  });

  const lastBody = () => ollama.requests.at(-1)!.body as Record<string, any>;

  it('maps every sampling option to its Ollama name and leaves absent ones out', async () => {
    const sampling = {
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      maxTokens: 64,
      stop: ['\n\n', 'END'],
      seed: 7,
      repeatPenalty: 1.1,
      frequencyPenalty: 0.5,
      presencePenalty: 0.25,
    };
    await collect(await provider.chat(chatRequest({ sampling }), callContext()));
    assert.deepEqual(lastBody().options, {
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      num_predict: 64,
      stop: ['\n\n', 'END'],
      seed: 7,
      repeat_penalty: 1.1,
      frequency_penalty: 0.5,
      presence_penalty: 0.25,
    });

    await collect(
      await provider.chat(chatRequest({ sampling: { temperature: 0 } }), callContext()),
    );
    assert.deepEqual(lastBody().options, { temperature: 0 });
    await collect(await provider.chat(chatRequest(), callContext()));
    assert.equal('options' in lastBody(), false);
  });

  it('sends stream, keep_alive (config default, request override) and format', async () => {
    await collect(
      await provider.chat(chatRequest({ responseFormat: { type: 'json' } }), callContext()),
    );
    assert.equal(lastBody().stream, true);
    assert.equal(lastBody().keep_alive, '30m');
    assert.equal(lastBody().format, 'json');

    const schema = { type: 'object', properties: { city: { type: 'string' } } };
    const req = chatRequest({
      stream: false,
      keepAlive: 0,
      responseFormat: { type: 'json_schema', schema },
    });
    await collect(await provider.chat(req, callContext()));
    assert.equal(lastBody().stream, false);
    assert.equal(lastBody().keep_alive, 0);
    assert.deepEqual(lastBody().format, schema);
  });

  it('sends tools in Ollama shape and tool calls with OBJECT arguments', async () => {
    const tool = {
      name: 'lookup_city',
      description: 'Find facts about a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } } },
    };
    const req = chatRequest({
      tools: [tool, { name: 'other', parameters: { type: 'object' } }],
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'What about Lyon?', images: ['aGVsbG8='] },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_1', name: 'lookup_city', arguments: '{"city":"Lyon"}' }],
        },
        { role: 'tool', content: '{"population":522000}', toolCallId: 'call_1' },
      ],
    });
    await collect(await provider.chat(req, callContext()));
    const body = lastBody();
    assert.deepEqual(body.tools[0], {
      type: 'function',
      function: {
        name: 'lookup_city',
        description: 'Find facts about a city',
        parameters: tool.parameters,
      },
    });
    assert.equal(body.tools.length, 2);
    assert.deepEqual(body.messages[1], {
      role: 'user',
      content: 'What about Lyon?',
      images: ['aGVsbG8='],
    });
    assert.deepEqual(body.messages[2].tool_calls, [
      { id: 'call_1', function: { name: 'lookup_city', arguments: { city: 'Lyon' } } },
    ]);
    // The tool result learns its tool name from the call it answers.
    assert.equal(body.messages[3].tool_name, 'lookup_city');
    assert.equal(body.messages[3].tool_call_id, 'call_1');
  });

  it('honours tool_choice none (no tools) and a named tool (only that one)', async () => {
    const tools = [
      { name: 'a', parameters: { type: 'object' } },
      { name: 'b', parameters: { type: 'object' } },
    ];
    await collect(await provider.chat(chatRequest({ tools, toolChoice: 'none' }), callContext()));
    assert.equal('tools' in lastBody(), false);
    await collect(
      await provider.chat(chatRequest({ tools, toolChoice: { name: 'b' } }), callContext()),
    );
    assert.deepEqual(
      lastBody().tools.map((t: any) => t.function.name),
      ['b'],
    );
  });

  it('rejects unparsable tool arguments with a 400 naming the message, before calling Ollama', async () => {
    const req = chatRequest({
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'c', name: 'f', arguments: '{city:' }],
        },
      ],
    });
    await assert.rejects(provider.chat(req, callContext()), (err: unknown) => {
      assert.ok(err instanceof InvalidRequestError);
      assert.equal(err.status, 400);
      assert.match(err.message, /messages\[1\]\.tool_calls\[0\]\.function\.arguments/);
      assert.match(err.message, /message 1/);
      return true;
    });
    const notObject = chatRequest({
      messages: [
        { role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'f', arguments: '[1]' }] },
      ],
    });
    await assert.rejects(provider.chat(notObject, callContext()), InvalidRequestError);
    assert.equal(ollama.requests.length, 0);
  });

  it('completes through /api/generate with prompt, suffix and raw:false', async () => {
    const req = {
      model: 'llama3.2:3b',
      prompt: 'def add(',
      suffix: 'return a + b',
      sampling: { maxTokens: 5 },
      stream: false,
    };
    const events = await collect(await provider.complete(req, callContext()));
    assert.equal(events.at(-1)?.type, 'done');
    const rec = ollama.requests.at(-1)!;
    assert.equal(rec.path, '/api/generate');
    assert.deepEqual(rec.body, {
      model: 'llama3.2:3b',
      prompt: 'def add(',
      raw: false,
      stream: false,
      suffix: 'return a + b',
      options: { num_predict: 5 },
      keep_alive: '30m',
    });
  });

  it('embeds through /api/embed with an input array, dimensions and truncate', async () => {
    const result = await provider.embed(
      { model: 'all-minilm:l6-v2', input: ['one', 'two words'], dimensions: 64, truncate: false },
      callContext(),
    );
    assert.deepEqual(lastBody(), {
      model: 'all-minilm:l6-v2',
      input: ['one', 'two words'],
      dimensions: 64,
      truncate: false,
      keep_alive: '30m',
    });
    assert.equal(result.embeddings.length, 2);
    assert.equal(result.embeddings[0]!.length, 64);
    assert.ok(result.promptTokens > 0);
  });

  it('sends JSON with no Authorization header of any kind', async () => {
    await collect(await provider.chat(chatRequest(), callContext()));
    const headers = ollama.requests.at(-1)!.headers;
    assert.equal(headers.authorization, undefined);
    assert.equal(headers.cookie, undefined);
    assert.equal(headers['content-type'], 'application/json');
  });
});
