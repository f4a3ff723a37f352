import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { InvalidRequestError } from '../../src/errors/errors.js';
import {
  openaiProviderFactory,
  vllmProviderFactory,
} from '../../src/providers/openai-compat/index.js';
import { startOpenAIStandin } from '../support/openai-standin.js';
import { capturingLogger, openaiCompatProvider } from './harness.js';

const llm = (id: string) => ({ providerModelId: id, modelType: 'llm' as const, metadata: {} });

describe('OpenAI-compatible providers: models, health, config', () => {
  it('checkModel and listModels follow GET /models', async () => {
    const api = await startOpenAIStandin({
      apiKey: 'k',
      models: ['meta-llama/Llama-3.2-3B-Instruct', 'BAAI/bge-embed'],
    });
    const provider = openaiCompatProvider('vllm', { url: api.url, api_token: 'k' });
    await provider.checkModel('meta-llama/Llama-3.2-3B-Instruct', 'llm');
    await assert.rejects(provider.checkModel('llama3.2:3b', 'llm'), (err) => {
      assert.ok(err instanceof InvalidRequestError);
      assert.equal(
        err.message,
        "'llama3.2:3b' model is not supported. Supported models are: meta-llama/Llama-3.2-3B-Instruct, BAAI/bge-embed",
      );
      return true;
    });
    assert.deepEqual(await provider.listModels(), [
      { providerModelId: 'meta-llama/Llama-3.2-3B-Instruct', modelType: 'llm', metadata: {} },
      { providerModelId: 'BAAI/bge-embed', modelType: 'embedding', metadata: {} },
    ]);
    assert.equal(api.requests.at(-1)!.headers.authorization, 'Bearer k');
    await provider.close();
    await api.close();
  });

  it('a server without a model listing accepts any model', async () => {
    const api = await startOpenAIStandin({ listModels: false });
    const provider = openaiCompatProvider('vllm', { url: api.url });
    await provider.checkModel('anything', 'llm');
    assert.deepEqual(await provider.listModels(), []);
    await provider.close();
    await api.close();
  });

  it('start() logs one error per model the server does not serve', async () => {
    const api = await startOpenAIStandin();
    const { log, lines } = capturingLogger();
    const provider = openaiCompatProvider('openai', { url: api.url }, log);
    await provider.start([llm('gpt-4o-mini'), llm('gpt-9')]);
    const errors = lines.filter((l) => l.level === 50);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.msg, /'gpt-9' is not served by OpenAI/);
    await provider.close();
    await api.close();
  });

  it('health is OK, then an Error once the server is gone', async () => {
    const api = await startOpenAIStandin();
    const provider = openaiCompatProvider('vllm', { url: api.url });
    assert.deepEqual(await provider.health(), { status: 'OK' });
    assert.equal(api.requests.at(-1)!.path, '/v1/models');
    await api.close();
    const down = await provider.health();
    assert.equal(down.status, 'Error');
    assert.match((down as { message: string }).message, /^Health check failed: /);
    await provider.close();
  });

  it('config: defaults, url/base_url, api_token alias, and no key in publicConfig', () => {
    const openai = openaiProviderFactory.configSchema.parse({ api_key: 'sk-secret', extra: 1 });
    assert.equal(openai.url, 'https://api.openai.com/v1');
    assert.equal(openai.api_key, 'sk-secret');
    assert.equal(openai.first_byte_timeout, 300);
    const vllm = vllmProviderFactory.configSchema.parse({
      url: 'http://gpu:8000/v1/',
      api_token: 'fake',
    });
    assert.equal(vllm.url, 'http://gpu:8000/v1');
    assert.equal(vllm.api_key, 'fake');
    assert.equal(vllmProviderFactory.configSchema.parse({ api_key: '' }).api_key, undefined);
    const provider = openaiCompatProvider('openai', { api_key: 'sk-secret' });
    const shown = JSON.stringify(provider.publicConfig());
    assert.equal(shown.includes('sk-secret'), false);
    assert.equal(provider.type, 'remote::openai');
    void provider.close();
  });
});

describe('OpenAI stand-in: protocol fidelity', () => {
  it('streams SSE chunks ending in [DONE], with a usage chunk when asked', async () => {
    const api = await startOpenAIStandin();
    const res = await request(`${api.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    const text = await res.body.text();
    assert.ok(text.endsWith('data: [DONE]\n\n'));
    const chunks = text
      .split('\n\n')
      .filter((e) => e && e !== 'data: [DONE]')
      .map((e) => JSON.parse(e.slice('data: '.length)));
    assert.equal(chunks[0].object, 'chat.completion.chunk');
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
    assert.deepEqual(chunks.at(-1).choices, []);
    assert.equal(typeof chunks.at(-1).usage.total_tokens, 'number');
    await api.close();
  });

  it('answers with OpenAI error envelopes (401 without the key, 404 unknown model)', async () => {
    const api = await startOpenAIStandin({ apiKey: 'k' });
    const unauth = await request(`${api.url}/models`);
    assert.equal(unauth.statusCode, 401);
    assert.equal(JSON.parse(await unauth.body.text()).error.code, 'invalid_api_key');
    const missing = await request(`${api.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: JSON.stringify({ model: 'nope', messages: [] }),
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(JSON.parse(await missing.body.text()).error.code, 'model_not_found');
    await api.close();
  });
});
