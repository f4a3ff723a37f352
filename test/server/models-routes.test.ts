import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ollamaStackForSuite, postJson } from '../support/stack.js';
import { assertError, send } from './http.js';

describe('models routes', () => {
  const env = ollamaStackForSuite({
    models: [
      { name: 'llama3.2:3b', family: 'llama' },
      { name: 'all-minilm:l6-v2', family: 'bert', embedding: true, dimensions: 384 },
      { name: 'qwen2.5:0.5b', family: 'qwen2' },
      { name: 'library/phi3:mini', family: 'phi3' },
    ],
  });

  it('lists run.yaml models and the other local Ollama models', async () => {
    const res = await send('GET', `${env.stack.url}/v1/models`);
    assert.equal(res.status, 200, res.text);
    const ids = res.json.data.map((m: any) => m.identifier).sort();
    assert.deepEqual(ids, [
      'ollama/all-minilm:l6-v2',
      'ollama/library/phi3:mini',
      'ollama/llama3.2:3b',
      'ollama/qwen2.5:0.5b',
    ]);
    const embedding = res.json.data.find((m: any) => m.identifier === 'ollama/all-minilm:l6-v2');
    assert.equal(embedding.model_type, 'embedding');
    assert.deepEqual(embedding.metadata, { embedding_dimension: 384 });
    assert.equal(embedding.custom_metadata.embedding_dimension, 384);
  });

  it('lists OpenAI-style models on the /v1/openai/v1 alias', async () => {
    const res = await send('GET', `${env.stack.url}/v1/openai/v1/models`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.object, 'list');
    const model = res.json.data.find((m: any) => m.id === 'ollama/llama3.2:3b');
    assert.deepEqual(Object.keys(model).sort(), ['created', 'id', 'object', 'owned_by']);
  });

  for (const name of [
    'ollama/llama3.2:3b',
    'llama3.2:3b',
    'ollama%2Fllama3.2%3A3b',
    'ollama/library/phi3:mini',
  ]) {
    it(`GET /v1/models/${name} resolves`, async () => {
      const res = await send('GET', `${env.stack.url}/v1/models/${name}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(
        res.json.identifier,
        decodeURIComponent(name).startsWith('ollama/')
          ? decodeURIComponent(name)
          : `ollama/${decodeURIComponent(name)}`,
      );
      assert.equal(res.json.type, 'model');
      assert.equal(res.json.provider_id, 'ollama');
    });
  }

  it('GET /v1/models/{unknown} is a 404 naming the model', async () => {
    const res = await send('GET', `${env.stack.url}/v1/models/ollama/nope:1b`);
    const message = assertError(res, 404, 'model_not_found');
    assert.match(message, /ollama\/nope:1b/);
  });

  it('registers a model Ollama has, then deletes it: 204, then 404', async () => {
    env.ollama.models.push({ name: 'gemma3:1b', family: 'gemma3' });
    const res = await postJson(`${env.stack.url}/v1/models`, {
      model_id: 'my-gemma',
      provider_model_id: 'gemma3:1b',
      metadata: { note: 'test' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.identifier, 'my-gemma');
    assert.equal(res.json.provider_resource_id, 'gemma3:1b');
    assert.equal(res.json.provider_id, 'ollama');
    assert.equal(res.json.model_type, 'llm');
    assert.deepEqual(res.json.metadata, { note: 'test' });
    assert.ok(
      env.ollama.requests.some((r) => r.path === '/api/tags'),
      'checked against /api/tags',
    );

    const got = await send('GET', `${env.stack.url}/v1/models/my-gemma`);
    assert.equal(got.status, 200);
    const chat = await postJson(`${env.stack.url}/v1/chat/completions`, {
      model: 'my-gemma',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(chat.status, 200, chat.text);
    assert.equal((env.ollama.requests.at(-1)?.body as any).model, 'gemma3:1b');

    const deleted = await send('DELETE', `${env.stack.url}/v1/models/my-gemma`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assertError(
      await send('DELETE', `${env.stack.url}/v1/models/my-gemma`),
      404,
      'model_not_found',
    );
    assertError(await send('GET', `${env.stack.url}/v1/models/my-gemma`), 404, 'model_not_found');
  });

  it('registers without provider_model_id under provider_id/model_id', async () => {
    const res = await postJson(`${env.stack.url}/v1/models`, { model_id: 'qwen2.5:0.5b' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.identifier, 'ollama/qwen2.5:0.5b');
    const deleted = await send('DELETE', `${env.stack.url}/v1/models/ollama/qwen2.5:0.5b`);
    assert.equal(deleted.status, 204);
  });

  it('a DELETE labelled application/json with no body is accepted', async () => {
    const res = await postJson(`${env.stack.url}/v1/models`, { model_id: 'qwen2.5:0.5b' });
    assert.equal(res.status, 200, res.text);
    const deleted = await fetch(`${env.stack.url}/v1/models/ollama/qwen2.5:0.5b`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(deleted.status, 204, await deleted.text());
  });

  it('refuses to register a model Ollama does not have, listing the supported ones', async () => {
    const res = await postJson(`${env.stack.url}/v1/models`, {
      model_id: 'ghost',
      provider_model_id: 'ghost:7b',
    });
    const message = assertError(res, 400, 'invalid_request');
    assert.match(message, /'ghost:7b' model is not supported/);
    assert.match(message, /llama3\.2:3b/);
    assert.match(message, /qwen2\.5:0\.5b/);
    const list = await send('GET', `${env.stack.url}/v1/models`);
    assert.ok(!list.json.data.some((m: any) => m.identifier === 'ghost'));
  });

  it('refuses an unknown provider_id and an embedding model without its dimension', async () => {
    let res = await postJson(`${env.stack.url}/v1/models`, { model_id: 'x', provider_id: 'vllm' });
    assert.match(assertError(res, 400, 'invalid_request'), /vllm/);
    res = await postJson(`${env.stack.url}/v1/models`, {
      model_id: 'all-minilm:l6-v2',
      model_type: 'embedding',
    });
    assert.match(assertError(res, 400, 'invalid_request'), /embedding_dimension/);
  });

  it('DELETE of an unknown model is 404', async () => {
    const res = await send('DELETE', `${env.stack.url}/v1/models/ollama/never-there`);
    assertError(res, 404, 'model_not_found');
  });
});
