import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { UpstreamError } from '../../src/errors/errors.js';
import { startOpenAIStandin } from '../support/openai-standin.js';
import type { OpenAIStandin } from '../support/openai-standin.js';
import { callContext, chatRequest, collect, openaiCompatProvider } from './harness.js';

const MODEL = 'gpt-4o-mini';
const sampling = {
  temperature: 0.3,
  topP: 0.8,
  topK: 20,
  maxTokens: 50,
  stop: ['END'],
  seed: 3,
  repeatPenalty: 1.2,
  frequencyPenalty: 0.1,
  presencePenalty: 0.2,
};

describe('OpenAI-compatible providers: what they send upstream', () => {
  let api: OpenAIStandin;
  beforeEach(() => {
    api.requests.length = 0;
  });
  before(async () => {
    api = await startOpenAIStandin({ apiKey: 'sk-provider-key' });
  });
  after(() => api.close());
  const last = () => api.requests.at(-1)!;

  it('remote::openai sends standard fields only, max_completion_tokens, and usage for streams', async () => {
    const provider = openaiCompatProvider('openai', {
      base_url: api.url,
      api_key: 'sk-provider-key',
    });
    await collect(await provider.chat(chatRequest({ model: MODEL, sampling }), callContext()));
    assert.equal(last().path, '/v1/chat/completions');
    assert.deepEqual(last().body, {
      model: MODEL,
      messages: [{ role: 'user', content: 'Say hello' }],
      temperature: 0.3,
      top_p: 0.8,
      max_completion_tokens: 50,
      stop: ['END'],
      seed: 3,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      stream: true,
      stream_options: { include_usage: true },
    });
    await provider.close();
  });

  it('remote::vllm adds top_k and repetition_penalty, and applies its default max_tokens', async () => {
    const provider = openaiCompatProvider('vllm', {
      url: api.url,
      api_token: 'sk-provider-key',
      max_tokens: 4096,
    });
    await collect(
      await provider.chat(chatRequest({ model: MODEL, sampling, stream: false }), callContext()),
    );
    const body = last().body as Record<string, unknown>;
    assert.equal(body.max_tokens, 50);
    assert.equal(body.top_k, 20);
    assert.equal(body.repetition_penalty, 1.2);
    assert.equal(body.stream, false);
    assert.equal('stream_options' in body, false);
    await collect(await provider.chat(chatRequest({ model: MODEL, stream: false }), callContext()));
    assert.equal((last().body as Record<string, unknown>).max_tokens, 4096);
    await provider.close();
  });

  it('translates tools, tool_choice, tool history, images and response formats', async () => {
    const provider = openaiCompatProvider('openai', { url: api.url, api_key: 'sk-provider-key' });
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const req = chatRequest({
      model: MODEL,
      tools: [{ name: 'lookup', description: 'Look up', parameters: schema }],
      toolChoice: { name: 'lookup' },
      responseFormat: { type: 'json_schema', schema },
      messages: [
        { role: 'user', content: 'What is this?', images: ['iVBORw0KGgo=', '/9j/4AAQ'] },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_9', name: 'lookup', arguments: '{"a":"x"}' }],
        },
        { role: 'tool', content: 'result', toolCallId: 'call_9', toolName: 'lookup' },
      ],
    });
    await collect(await provider.chat(req, callContext()));
    const body = last().body as Record<string, any>;
    assert.deepEqual(body.tools, [
      {
        type: 'function',
        function: { name: 'lookup', description: 'Look up', parameters: schema },
      },
    ]);
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'lookup' } });
    assert.deepEqual(body.response_format, {
      type: 'json_schema',
      json_schema: { name: 'response', schema },
    });
    assert.deepEqual(body.messages[0].content, [
      { type: 'text', text: 'What is this?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
    ]);
    assert.deepEqual(body.messages[1], {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_9', type: 'function', function: { name: 'lookup', arguments: '{"a":"x"}' } },
      ],
    });
    assert.deepEqual(body.messages[2], { role: 'tool', content: 'result', tool_call_id: 'call_9' });

    await collect(
      await provider.chat(
        chatRequest({ model: MODEL, responseFormat: { type: 'json' } }),
        callContext(),
      ),
    );
    assert.deepEqual((last().body as any).response_format, { type: 'json_object' });
    await provider.close();
  });

  it('sends exactly the configured key, or no Authorization at all', async () => {
    const keyed = openaiCompatProvider('openai', { url: api.url, api_key: 'sk-provider-key' });
    await collect(await keyed.chat(chatRequest({ model: MODEL }), callContext()));
    assert.equal(last().headers.authorization, 'Bearer sk-provider-key');
    await keyed.close();

    const open = await startOpenAIStandin();
    const keyless = openaiCompatProvider('vllm', { url: open.url });
    await collect(await keyless.chat(chatRequest({ model: MODEL }), callContext()));
    assert.equal(open.requests.at(-1)!.headers.authorization, undefined);
    await keyless.close();
    await open.close();
  });

  it('a key the upstream refuses is a 502 telling the operator to check api_key', async () => {
    const provider = openaiCompatProvider('openai', { url: api.url, api_key: 'sk-wrong' });
    await assert.rejects(provider.chat(chatRequest({ model: MODEL }), callContext()), (err) => {
      assert.ok(err instanceof UpstreamError);
      assert.equal(err.status, 502);
      assert.match(err.message, /refused the gateway's credentials/);
      assert.match(JSON.stringify(err.detail), /api_key/);
      assert.match(JSON.stringify(err.detail), /Incorrect API key provided/);
      return true;
    });
    await provider.close();
  });

  it('completes through /completions and embeds through /embeddings', async () => {
    const provider = openaiCompatProvider('vllm', { url: api.url, api_key: 'sk-provider-key' });
    const events = await collect(
      await provider.complete(
        { model: MODEL, prompt: 'Once', suffix: 'end', sampling: { maxTokens: 2 }, stream: true },
        callContext(),
      ),
    );
    assert.deepEqual(last().body, {
      model: MODEL,
      prompt: 'Once',
      suffix: 'end',
      max_tokens: 2,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(events.at(-1)?.type === 'done' && events.at(-1)?.type, 'done');

    const result = await provider.embed(
      { model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8 },
      callContext(),
    );
    assert.deepEqual(last().body, {
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      encoding_format: 'float',
      dimensions: 8,
    });
    assert.equal(result.embeddings.length, 2);
    assert.equal(result.embeddings[1]!.length, 8);
    assert.ok(result.promptTokens > 0);
    await provider.close();
  });
});
