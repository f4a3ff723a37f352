/**
 * Both route families served by the embedded engine through the real stack server: OpenAI
 * `/v1/chat/completions` and `/v1/embeddings`, Llama Stack `/v1/inference/*`, streaming, JSON
 * schemas, refusals as error envelopes, overload as 503, and a client disconnect freeing its
 * slot for the next caller.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTinyModel } from '../../src/providers/llama-cpp/index.js';
import type { RunningStack } from '../../src/stack/index.js';
import { assertError } from '../server/http.js';
import { postJson, sseData, startTestStack } from '../support/stack.js';
import { tempDir } from './helpers.js';

let stack: RunningStack;
let cleanup: () => Promise<void>;

before(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  const chatModel = join(tmp.dir, 'endless.gguf');
  const embedModel = join(tmp.dir, 'embed.gguf');
  const toolModel = join(tmp.dir, 'tools.gguf');
  await writeTinyModel(toolModel, { seed: 23, toolCalls: 'eager' });
  await writeTinyModel(chatModel, { seed: 21, endOfTurn: 'never', contextLength: 8192 });
  await writeTinyModel(embedModel, { seed: 22, embedding: true });
  stack = await startTestStack(`version: 2
apis: [inference]
providers:
  inference:
    - provider_id: local
      provider_type: inline::llama-cpp
      config: {model_path: ${chatModel}, context_size: 8192, max_parallel: 1, max_queue: 1}
    - provider_id: local-embed
      provider_type: inline::llama-cpp
      config: {model_path: ${embedModel}, embedding: true}
    - provider_id: local-tools
      provider_type: inline::llama-cpp
      config: {model_path: ${toolModel}}
models:
  - model_id: tiny
    provider_id: local
    provider_model_id: tiny
  - model_id: tiny-tools
    provider_id: local-tools
    provider_model_id: tiny-tools
  - model_id: tiny-embed
    provider_id: local-embed
    provider_model_id: tiny-embed
    model_type: embedding
    metadata: {embedding_dimension: 64}
`);
});

after(async () => {
  await stack?.close();
  await cleanup?.();
});

const chat = (body: Record<string, unknown>) =>
  postJson(`${stack.url}/v1/chat/completions`, {
    model: 'tiny',
    messages: [{ role: 'user', content: 'Tell me about llamas.' }],
    ...body,
  });

describe('OpenAI routes on inline::llama-cpp', () => {
  it('answers a chat completion with real usage and finish_reason length', async () => {
    const res = await chat({ max_tokens: 6, seed: 1 });
    assert.equal(res.status, 200, res.text);
    const choice = res.json.choices[0];
    assert.equal(choice.finish_reason, 'length');
    assert.ok(choice.message.content.trim().length > 0);
    assert.equal(res.json.usage.completion_tokens, 6);
    assert.ok(res.json.usage.prompt_tokens > 5);
  });

  it('streams chat chunks and ends with [DONE]', async () => {
    const res = await chat({
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(res.status, 200, res.text);
    const data = sseData(res.text);
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    assert.ok(text.trim().length > 0);
    assert.ok(chunks.some((c) => c.choices[0]?.finish_reason === 'length'));
    assert.equal(chunks.at(-1).usage?.completion_tokens, 5);
  });

  it('returns JSON matching a json_schema response_format', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 16 }, ok: { type: 'boolean' } },
      required: ['name', 'ok'],
    };
    const res = await chat({
      max_tokens: 120,
      temperature: 0.6,
      seed: 4,
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } },
    });
    assert.equal(res.status, 200, res.text);
    const value = JSON.parse(res.json.choices[0].message.content);
    assert.equal(typeof value.name, 'string');
    assert.equal(typeof value.ok, 'boolean');
  });

  it('returns tool calls from a tool-calling model', async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'lookup',
          parameters: {
            type: 'object',
            properties: { q: { type: 'string', maxLength: 10 } },
            required: ['q'],
          },
        },
      },
    ];
    const res = await chat({ model: 'tiny-tools', tools, max_tokens: 60, temperature: 0 });
    assert.equal(res.status, 200, res.text);
    const choice = res.json.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    const call = choice.message.tool_calls[0];
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'lookup');
    assert.equal(typeof JSON.parse(call.function.arguments).q, 'string');
  });

  it('refuses a forced tool choice with a 400 error envelope', async () => {
    const res = await chat({
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: 'required',
    });
    const message = assertError(res, 400, 'invalid_request');
    assert.match(message, /cannot force a tool call/);
  });

  it('embeds through /v1/embeddings', async () => {
    const res = await postJson(`${stack.url}/v1/embeddings`, {
      model: 'tiny-embed',
      input: ['alpha', 'beta'],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.data.length, 2);
    assert.equal(res.json.data[0].embedding.length, 64);
    assert.ok(res.json.usage.prompt_tokens > 0);
  });
});

describe('Llama Stack routes on inline::llama-cpp', () => {
  it('answers /v1/inference/chat-completion with out_of_tokens at max_tokens', async () => {
    const res = await postJson(`${stack.url}/v1/inference/chat-completion`, {
      model_id: 'tiny',
      messages: [{ role: 'user', content: 'hi' }],
      sampling_params: { max_tokens: 4 },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.completion_message.role, 'assistant');
    assert.equal(res.json.completion_message.stop_reason, 'out_of_tokens');
    assert.ok(res.json.completion_message.content.length > 0);
  });

  it('streams /v1/inference/chat-completion events', async () => {
    const res = await postJson(`${stack.url}/v1/inference/chat-completion`, {
      model_id: 'tiny',
      messages: [{ role: 'user', content: 'hi' }],
      sampling_params: { max_tokens: 4 },
      stream: true,
    });
    assert.equal(res.status, 200, res.text);
    const events = sseData(res.text).map((d) => JSON.parse(d).event);
    assert.equal(events[0].event_type, 'start');
    assert.equal(events.at(-1).event_type, 'complete');
    assert.ok(events.some((e) => e.event_type === 'progress' && e.delta.text.length > 0));
  });

  it('embeds through /v1/inference/embeddings', async () => {
    const res = await postJson(`${stack.url}/v1/inference/embeddings`, {
      model_id: 'tiny-embed',
      contents: ['gamma'],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.embeddings[0].length, 64);
  });

  it('reports the provider healthy in /v1/providers', async () => {
    const res = await fetch(`${stack.url}/v1/providers`);
    const body = (await res.json()) as { data: Array<Record<string, any>> };
    const local = body.data.find((p) => p.provider_id === 'local');
    assert.equal(local?.provider_type, 'inline::llama-cpp');
    assert.equal(local?.health?.status, 'OK');
  });
});

describe('capacity through HTTP', () => {
  it('answers 503 when the queue is full and frees a slot when its client disconnects', async () => {
    const holder = new AbortController();
    const held = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'tiny',
        messages: [{ role: 'user', content: 'go on forever' }],
        stream: true,
      }),
      signal: holder.signal,
    });
    assert.equal(held.status, 200);
    const reader = held.body!.getReader();
    await reader.read(); // generation is running and owns the only slot

    const queued = chat({ max_tokens: 3 }); // waits in the queue (max_queue 1)
    await new Promise((r) => setTimeout(r, 50));
    const overflow = await chat({ max_tokens: 3 });
    const message = assertError(overflow, 503, 'overloaded');
    assert.match(message, /the embedded model is busy/);
    assert.equal(overflow.headers.get('retry-after'), '1');

    holder.abort();
    await reader.cancel().catch(() => undefined);
    const res = await queued;
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.usage.completion_tokens, 3);
  });
});
