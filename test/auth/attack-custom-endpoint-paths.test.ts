import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { rawHttp } from './attack-http.js';
import { startStubService } from './stub-service.js';

type Stub = Awaited<ReturnType<typeof startStubService>>;

/**
 * A `custom` endpoint that judges by path must see the path the router dispatches on: if it saw
 * `/v1//chat/completions/` while the router served `/v1/chat/completions`, a key refused for a
 * route would reach it through a spelling variant.
 */
describe('custom authentication endpoint and path spellings', () => {
  let endpoint: Stub;
  let ollama: OllamaStandin;
  let stack: RunningStack;
  const seenPaths: string[] = [];

  before(async () => {
    endpoint = await startStubService((req) => {
      const { api_key: key, request } = JSON.parse(req.body) as {
        api_key: string;
        request: { path: string };
      };
      seenPaths.push(request.path);
      const refused = key === 'no-chat' && request.path === '/v1/chat/completions';
      return refused ? { status: 403, body: {} } : { status: 200, body: { principal: key } };
    });
    ollama = await startOllamaStandin();
    stack = await startTestStack(
      ollamaRunYaml(
        ollama.url,
        `server:\n  auth:\n    provider_config: {type: custom, endpoint: "${endpoint.url}/check"}\n`,
      ),
    );
  });
  after(async () => {
    await stack?.close();
    await ollama?.close();
    await endpoint?.close();
  });

  const body = JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x' }] });
  const post = (target: string, key: string) =>
    rawHttp(
      stack.port,
      `POST ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}`,
      body,
    );

  it('shows the endpoint the routed path, so spelling variants cannot dodge its decision', async () => {
    const before = ollama.requests.length;
    for (const target of [
      '/v1/chat/completions',
      '/v1//chat/completions',
      '//v1/chat/completions',
      '/v1/chat/completions/',
      '/v1/chat/completions//',
      '/v1/%63hat/completions',
      '/v1/chat/completions?x=1',
      '/v1/chat/completions#frag',
      'http://127.0.0.1/v1/chat/completions',
    ]) {
      const res = await post(target, 'no-chat');
      assert.ok([401, 404].includes(res.status), `${target}: ${res.status} ${res.text}`);
      if (res.status === 401) assert.equal(seenPaths.at(-1), '/v1/chat/completions', target);
    }
    assert.equal(ollama.requests.length, before, 'a refused key reached the chat handler');
  });

  it('still lets the key through where the endpoint allows it', async () => {
    const res = await post('/v1//completions', 'no-chat');
    assert.equal(res.status, 400, res.text); // authenticated; the body is a chat body
    assert.equal(seenPaths.at(-1), '/v1/completions');
    const other = await post('/v1/chat/completions', 'any-key');
    assert.equal(other.status, 200, other.text);
  });
});
