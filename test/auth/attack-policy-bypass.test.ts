import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertEnvelope, bearer, send, startAuthStack } from './attack-http.js';
import type { AuthStack, Reply } from './attack-http.js';

const CHAT = 'ollama/llama3.2:3b';
const EMBED = 'ollama/all-minilm:l6-v2';
const messages = [{ role: 'user', content: 'hi' }];

/** Every inference route with a body naming `model`. */
function inferenceCalls(model: string): [string, unknown][] {
  return [
    ['/v1/chat/completions', { model, messages }],
    ['/v1/chat/completions', { model, messages, stream: true }],
    ['/v1/openai/v1/chat/completions', { model, messages }],
    ['/v1/completions', { model, prompt: 'hi' }],
    ['/v1/openai/v1/completions', { model, prompt: 'hi', stream: true }],
    ['/v1/inference/chat-completion', { model_id: model, messages }],
    ['/v1/inference/chat-completion', { model_id: model, messages, stream: true }],
    ['/v1/inference/completion', { model_id: model, content: 'hi' }],
  ];
}

function embeddingCalls(model: string): [string, unknown][] {
  return [
    ['/v1/embeddings', { model, input: 'hi' }],
    ['/v1/openai/v1/embeddings', { model, input: ['hi'] }],
    ['/v1/inference/embeddings', { model_id: model, contents: ['hi'] }],
  ];
}

describe('access policy bypass attempts over HTTP', () => {
  let env: AuthStack;
  const as: Record<string, Record<string, string>> = {};

  before(async () => {
    env = await startAuthStack({
      accessPolicy: `      - permit: {principal: admin, actions: [create, read, update, delete]}
      - permit: {actions: [read], resource: "model::${CHAT}"}
        when: user with ml in teams
      - permit: {actions: [create]}
        when: user with builders in teams
      - permit: {actions: [read, update, delete]}
        when: user is owner`,
    });
    const users: [string, string[]][] = [
      ['admin', []],
      ['ml-user', ['ml']],
      ['eve', ['ops']],
      ['builder', ['builders']],
      ['builder2', ['builders']],
    ];
    for (const [sub, groups] of users) as[sub] = bearer(await env.token(sub, { groups }));
  });
  after(async () => {
    await env?.close();
  });

  const call = (method: string, path: string, user: string, body?: unknown): Promise<Reply> =>
    send(method, `${env.stack.url}${path}`, { headers: as[user]!, ...(body ? { body } : {}) });
  const generations = () => env.ollama.requests.filter((r) => r.path !== '/api/tags').length;

  it('finds a hidden chat model under no name on any inference route; Ollama sees nothing', async () => {
    const before = generations();
    for (const name of ['llama3.2:3b', CHAT]) {
      for (const [path, body] of inferenceCalls(name)) {
        const res = await call('POST', path, 'eve', body);
        assertEnvelope(res, 404, 'model_not_found');
        assert.ok(res.json.error.message.includes(name), `${path}: ${res.text}`);
      }
    }
    assert.equal(generations(), before, 'a refused request reached Ollama');
    const allowed = await call('POST', '/v1/chat/completions', 'ml-user', {
      model: CHAT,
      messages,
    });
    assert.equal(allowed.status, 200, allowed.text);
  });

  it('finds a hidden embedding model on no embeddings route', async () => {
    const before = generations();
    for (const name of ['all-minilm:l6-v2', EMBED]) {
      for (const [path, body] of embeddingCalls(name)) {
        for (const user of ['eve', 'ml-user']) {
          assertEnvelope(await call('POST', path, user, body), 404, 'model_not_found');
        }
      }
    }
    assert.equal(generations(), before);
    const admin = await call('POST', '/v1/embeddings', 'admin', { model: EMBED, input: 'hi' });
    assert.equal(admin.status, 200, admin.text);
  });

  it('answers GET and DELETE /v1/models/{id} with 404 for a hidden model, in every spelling', async () => {
    for (const path of [
      `/v1/models/${CHAT}`,
      '/v1/models/llama3.2:3b',
      '/v1/models/ollama%2Fllama3.2:3b',
      `/v1/models//${CHAT}/`,
    ]) {
      assertEnvelope(await call('GET', path, 'eve'), 404, 'model_not_found');
      assertEnvelope(await call('DELETE', path, 'eve'), 404, 'model_not_found');
    }
    // Readable but not deletable: 403, and the model stays.
    assertEnvelope(await call('DELETE', `/v1/models/${CHAT}`, 'ml-user'), 403, 'forbidden');
    assert.equal((await call('GET', `/v1/models/${CHAT}`, 'admin')).status, 200);
  });

  it('refuses to register an alias of a hidden model without create permission', async () => {
    for (const body of [
      { model_id: 'mine', provider_model_id: 'llama3.2:3b', provider_id: 'ollama' },
      { model_id: 'llama3.2:3b', provider_id: 'ollama' },
    ]) {
      assertEnvelope(await call('POST', '/v1/models', 'eve', body), 403, 'forbidden');
    }
    assertEnvelope(await call('GET', '/v1/models/mine', 'admin'), 404, 'model_not_found');
  });

  it('does not let a user who may create take over an existing model by re-registering it', async () => {
    const attempts = [
      { model_id: 'llama3.2:3b', provider_id: 'ollama' },
      // Same identifier, pointed at another upstream model.
      { model_id: CHAT, provider_model_id: 'all-minilm:l6-v2', provider_id: 'ollama' },
    ];
    for (const body of attempts) {
      const res = await call('POST', '/v1/models', 'builder', body);
      assert.match(assertEnvelope(res, 409, 'conflict'), /already registered/);
    }
    const model = await call('GET', `/v1/models/${CHAT}`, 'admin');
    assert.equal(model.json.provider_resource_id, 'llama3.2:3b');
    const chat = await call('POST', '/v1/chat/completions', 'ml-user', { model: CHAT, messages });
    assert.equal(chat.status, 200, chat.text);
  });

  it("keeps a user's registered model theirs when another creator re-registers its id", async () => {
    const mine = { model_id: 'b-model', provider_model_id: 'llama3.2:3b', provider_id: 'ollama' };
    assert.equal((await call('POST', '/v1/models', 'builder', mine)).status, 200);
    const hijack = { ...mine, provider_model_id: 'all-minilm:l6-v2', model_type: 'embedding' };
    assertEnvelope(await call('POST', '/v1/models', 'builder2', hijack), 409, 'conflict');
    assertEnvelope(await call('GET', '/v1/models/b-model', 'builder2'), 404, 'model_not_found');

    // The owner may re-register (update) it and stays the owner.
    const again = await call('POST', '/v1/models', 'builder', { ...mine, metadata: { v: 2 } });
    assert.equal(again.status, 200, again.text);
    const got = await call('GET', '/v1/models/b-model', 'builder');
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.json.metadata, { v: 2 });
    assertEnvelope(await call('GET', '/v1/models/b-model', 'builder2'), 404, 'model_not_found');
  });
});

describe('model registration under the default policy', () => {
  let env: AuthStack;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  before(async () => {
    env = await startAuthStack();
    alice = bearer(await env.token('alice', { groups: ['team-a'] }));
    bob = bearer(await env.token('bob', { groups: ['team-b'] }));
  });
  after(async () => {
    await env?.close();
  });

  const post = (headers: Record<string, string>, body: unknown) =>
    send('POST', `${env.stack.url}/v1/models`, { headers, body });
  const get = (headers: Record<string, string>, id: string) =>
    send('GET', `${env.stack.url}/v1/models/${id}`, { headers });

  it("refuses to overwrite another user's private model, which stays theirs", async () => {
    const mine = { model_id: 'alice-llm', provider_model_id: 'llama3.2:3b' };
    assert.equal((await post(alice, mine)).status, 200);
    assertEnvelope(await get(bob, 'alice-llm'), 404, 'model_not_found');
    const hijack = await post(bob, { ...mine, metadata: { owner: 'bob' } });
    assertEnvelope(hijack, 409, 'conflict');
    const still = await get(alice, 'alice-llm');
    assert.equal(still.status, 200, still.text);
    assert.deepEqual(still.json.metadata, {});
  });

  it('keeps a run.yaml model visible to everyone when a user re-registers it', async () => {
    const res = await post(bob, { model_id: 'llama3.2:3b', provider_id: 'ollama' });
    assert.equal(res.status, 200, res.text);
    const list = await send('GET', `${env.stack.url}/v1/models`, { headers: alice });
    assert.ok(
      list.json.data.some((m: { id: string }) => m.id === CHAT),
      list.text,
    );
    assert.equal((await get(alice, CHAT)).status, 200);
  });
});
