import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { AUDIENCE, generateTestKey, ISSUER, keycloakClaims, mintToken } from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function send(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Status plus the one error envelope, `{"error":{"message","type","code","param"}}`. */
function assertError(res: Reply, status: number, code: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
  assert.equal(typeof res.json.error.message, 'string');
}

/** The stack server with auth and a policy: team ml may read the chat model, admin everything. */
function authYaml(jwksUri: string): string {
  return `
server:
  auth:
    provider_config:
      type: oauth2_token
      jwks: {uri: "${jwksUri}", refetch_cooldown_seconds: 0.05}
      issuer: "${ISSUER}"
      audience: ${AUDIENCE}
    access_policy:
      - permit: {principal: admin, actions: [create, read, update, delete]}
      - permit: {actions: [read], resource: "model::ollama/llama3.2:3b"}
        when: user with ml in teams
`;
}

describe('authentication and policy over HTTP', () => {
  let idp: JwksServer;
  let ollama: OllamaStandin;
  let stack: RunningStack;
  let key: TestKey;
  let admin: string;
  let mlUser: string;
  let outsider: string;

  before(async () => {
    key = await generateTestKey('ES256');
    idp = await startJwksServer([key.publicJwk]);
    ollama = await startOllamaStandin({ reply: 'hi' });
    stack = await startTestStack(ollamaRunYaml(ollama.url, authYaml(idp.uri)));
    admin = await mintToken(key, keycloakClaims({ sub: 'admin' }));
    mlUser = await mintToken(key, keycloakClaims({ sub: 'u-ml', groups: ['ml'] }));
    outsider = await mintToken(key, keycloakClaims({ sub: 'u-ops', groups: ['ops'] }));
  });
  after(async () => {
    await stack?.close();
    await ollama?.close();
    await idp?.close();
  });

  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  it('answers 401 with a Bearer challenge on every non-public route', async () => {
    const listed = await send('GET', `${stack.url}/v1/inspect/routes`, undefined, auth(admin));
    assert.equal(listed.status, 200, listed.text);
    const routes = (listed.json.data as { route: string; method: string }[]).filter(
      (r) => !['/v1/health', '/v1/version'].includes(r.route),
    );
    assert.ok(routes.length >= 8, `only ${routes.length} routes listed`);
    for (const { route, method } of [...routes, { route: '/v1/no-such-route', method: 'GET' }]) {
      const path = route.replace('*', 'llama3.2:3b').replace(/:\w+/g, 'x');
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      const res = await send(method, `${stack.url}${path}`, body);
      assertError(res, 401, 'unauthorized');
      assert.equal(
        res.headers.get('www-authenticate'),
        'Bearer realm="llamagate"',
        `${method} ${path}`,
      );
      assert.match(res.json.error.message, /Please provide a valid OAuth2 Bearer token from/);
    }
  });

  it('keeps path spelling variants of protected routes protected', async () => {
    for (const path of [
      '//v1//models/',
      '/v1/models/',
      '/v1/%6dodels',
      '/v1/models?x=/v1/health',
    ]) {
      assertError(await send('GET', `${stack.url}${path}`), 401, 'unauthorized');
    }
    const head = await fetch(`${stack.url}/v1/models`, { method: 'HEAD' });
    assert.equal(head.status, 401);
  });

  it('serves public routes without a token, in their spelling variants too', async () => {
    for (const path of ['/v1/health', '/v1/health/', '//v1//health', '/v1/version']) {
      const res = await send('GET', `${stack.url}${path}`);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
    }
    assert.equal((await fetch(`${stack.url}/v1/health`, { method: 'HEAD' })).status, 200);
  });

  it('filters GET /v1/models on both route families by policy', async () => {
    const ids = async (path: string, token: string) => {
      const res = await send('GET', `${stack.url}${path}`, undefined, auth(token));
      assert.equal(res.status, 200, res.text);
      return (res.json.data as { id: string }[]).map((m) => m.id).sort();
    };
    for (const path of ['/v1/models', '/v1/openai/v1/models']) {
      assert.deepEqual(await ids(path, admin), ['ollama/all-minilm:l6-v2', 'ollama/llama3.2:3b']);
      assert.deepEqual(await ids(path, mlUser), ['ollama/llama3.2:3b']);
      assert.deepEqual(await ids(path, outsider), []);
    }
  });

  it('answers 404 model not found for a model the policy hides', async () => {
    const body = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x' }] };
    const hidden = await send('POST', `${stack.url}/v1/chat/completions`, body, auth(outsider));
    assertError(hidden, 404, 'model_not_found');
    const allowed = await send('POST', `${stack.url}/v1/chat/completions`, body, auth(mlUser));
    assert.equal(allowed.status, 200, allowed.text);
  });

  it('explains a rejected token in the challenge', async () => {
    const idToken = await mintToken(key, keycloakClaims({ typ: 'ID', aud: AUDIENCE }));
    const res = await send('GET', `${stack.url}/v1/models`, undefined, auth(idToken));
    assertError(res, 401, 'unauthorized');
    assert.equal(
      res.headers.get('www-authenticate'),
      'Bearer realm="llamagate", error="invalid_token", error_description="not an access token (typ=ID)"',
    );
  });

  it('answers 503 with Retry-After while the IdP is unreachable, then recovers', async () => {
    const rotated = await generateTestKey('ES256');
    const token = await mintToken(rotated, keycloakClaims({ sub: 'admin' }));
    idp.setMode('down');
    await new Promise((resolve) => setTimeout(resolve, 60)); // past the test cooldown
    const res = await send('GET', `${stack.url}/v1/models`, undefined, auth(token));
    assertError(res, 503, 'auth_unavailable');
    assert.equal(res.headers.get('retry-after'), '5');

    idp.setKeys([key.publicJwk, rotated.publicJwk]);
    idp.setMode('ok');
    await new Promise((resolve) => setTimeout(resolve, 60));
    const back = await send('GET', `${stack.url}/v1/models`, undefined, auth(token));
    assert.equal(back.status, 200, back.text);
  });
});
