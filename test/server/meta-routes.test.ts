import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { API_VERSION, LLAMAGATE_VERSION } from '../../src/version.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { assertError, closedPortUrl, send } from './http.js';

describe('health, version, providers and route inventory', () => {
  let ollama: OllamaStandin;
  let stack: RunningStack;
  let downStack: RunningStack;

  before(async () => {
    ollama = await startOllamaStandin();
    stack = await startTestStack(ollamaRunYaml(ollama.url));
    downStack = await startTestStack(ollamaRunYaml(await closedPortUrl()));
  });
  after(async () => {
    await Promise.all([stack.close(), downStack.close()]);
    await ollama.close();
  });

  it('GET /v1/health answers OK, even when Ollama is down', async () => {
    for (const s of [stack, downStack]) {
      const res = await send('GET', `${s.url}/v1/health`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { status: 'OK' });
    }
  });

  it('GET /v1/version answers the Llama Stack API version', async () => {
    const res = await send('GET', `${stack.url}/v1/version`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { version: API_VERSION, llamagate_version: LLAMAGATE_VERSION });
  });

  it('GET /v1/providers reports the Ollama provider healthy', async () => {
    const res = await send('GET', `${stack.url}/v1/providers`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.data.length, 1);
    const [p] = res.json.data;
    assert.equal(p.api, 'inference');
    assert.equal(p.provider_id, 'ollama');
    assert.equal(p.provider_type, 'remote::ollama');
    assert.equal(p.config.url, ollama.url);
    assert.deepEqual(p.health, { status: 'OK' });
    assert.ok(
      ollama.requests.some((r) => r.path === '/api/ps'),
      'probed with /api/ps',
    );
  });

  it('GET /v1/providers reports Error with a reason when Ollama is down, within ~1 s', async () => {
    const started = Date.now();
    const res = await send('GET', `${downStack.url}/v1/providers`);
    assert.equal(res.status, 200, res.text);
    const { health } = res.json.data[0];
    assert.equal(health.status, 'Error');
    assert.match(health.message, /^Health check failed: /);
    assert.ok(Date.now() - started < 5000);
  });

  it('GET /v1/providers reports Error after ~1 s when Ollama accepts but never answers', async () => {
    // Answers the start-up model listing, then lets every health probe hang.
    const silent = createServer((req, res) => {
      if (req.url === '/api/tags') return void res.end('{"models":[]}');
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const silentStack = await startTestStack(ollamaRunYaml(`http://127.0.0.1:${port}`));
    try {
      const started = Date.now();
      const res = await send('GET', `${silentStack.url}/v1/providers/ollama`);
      const elapsed = Date.now() - started;
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.health.status, 'Error');
      assert.match(res.json.health.message, /^Health check (failed|timed out)/);
      assert.ok(elapsed >= 900 && elapsed < 5000, `answered after ${elapsed} ms`);
    } finally {
      await silentStack.close();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('GET /v1/providers/{id} returns one provider; an unknown id is 404', async () => {
    const res = await send('GET', `${stack.url}/v1/providers/ollama`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.provider_id, 'ollama');
    assert.deepEqual(res.json.health, { status: 'OK' });
    const missing = await send('GET', `${stack.url}/v1/providers/vllm`);
    assert.match(assertError(missing, 404, 'not_found'), /vllm/);
  });

  it('GET /v1/inspect/routes lists every route with the provider types serving it', async () => {
    const res = await send('GET', `${stack.url}/v1/inspect/routes`);
    assert.equal(res.status, 200, res.text);
    const routes = res.json.data as { route: string; method: string; provider_types: string[] }[];
    const has = (method: string, route: string) =>
      routes.find((r) => r.method === method && r.route === route);
    for (const [method, route] of [
      ['POST', '/v1/inference/chat-completion'],
      ['POST', '/v1/inference/completion'],
      ['POST', '/v1/inference/embeddings'],
      ['POST', '/v1/chat/completions'],
      ['POST', '/v1/completions'],
      ['POST', '/v1/embeddings'],
      ['POST', '/v1/openai/v1/chat/completions'],
      ['GET', '/v1/models'],
      ['POST', '/v1/models'],
      ['GET', '/v1/health'],
      ['GET', '/v1/version'],
      ['GET', '/v1/providers'],
      ['GET', '/v1/inspect/routes'],
    ] as const) {
      const found = has(method, route);
      assert.ok(found, `${method} ${route} listed`);
    }
    assert.deepEqual(has('POST', '/v1/chat/completions')?.provider_types, ['remote::ollama']);
    assert.deepEqual(has('GET', '/v1/health')?.provider_types, []);
    assert.ok(routes.every((r) => r.method !== 'HEAD'));
    const keys = new Set(routes.map((r) => `${r.method} ${r.route}`));
    assert.equal(keys.size, routes.length, 'no duplicates');
  });

  it("GET /v1/inspect/routes shows path parameters in Llama Stack's syntax, not the router's", async () => {
    const res = await send('GET', `${stack.url}/v1/inspect/routes`);
    const routes = res.json.data as { route: string; method: string }[];
    const listed = routes.map((r) => `${r.method} ${r.route}`);
    assert.ok(listed.includes('GET /v1/models/{model_id:path}'), listed.join(', '));
    assert.ok(listed.includes('DELETE /v1/models/{model_id:path}'));
    assert.ok(listed.includes('GET /v1/providers/{provider_id}'));
    assert.ok(routes.every((r) => !/[*:]/.test(r.route.replace('{model_id:path}', ''))));
  });
});
