import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { assertEnvelope, rawHttp, send, startAuthStack } from './attack-http.js';
import type { AuthStack, Reply } from './attack-http.js';

/** Request targets aimed at protected handlers through a public path or an odd spelling. */
const TARGETS = [
  '/v1/models',
  '/v1/openai/v1/models',
  '/v1/providers',
  '/v1/inspect/routes',
  '/v1/models/ollama/llama3.2:3b',
  '/v1/models?x=/v1/health',
  '/v1/models?',
  '/v1/health/../models',
  '/v1/health/..%2Fmodels',
  '/v1/health%2F..%2Fmodels',
  '/v1/health/%2e%2e/models',
  '/v1/%2e%2e/v1/models',
  '/v1/health/..;/models',
  '/v1/health\\..\\models',
  '/v1/./models',
  '/v1/health%00',
  '/v1/health;x',
  '/v1/health%20',
  '/V1/HEALTH',
  '/v1/Health',
  '/v1/health#/../models',
  '/v1/openai/v1/health',
  '/%2Fv1/models',
  '/v1/models%00',
  '/v1/%6dodels',
  'http://127.0.0.1/v1/models',
  'http://evil.example/v1/providers',
  '//evil.example/v1/models',
  '*',
];
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH'];
const PUBLIC_BODIES = ['{"status":"OK"}', '"version"'];

function request(port: number, method: string, target: string, headers = ''): Promise<Reply> {
  const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? '{}' : '';
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', headers].filter(Boolean);
  if (body) lines.push('Content-Type: application/json', `Content-Length: ${body.length}`);
  return rawHttp(port, lines.join('\r\n'), body);
}

describe('request targets and methods that might skip authentication', () => {
  let env: AuthStack;

  before(async () => {
    env = await startAuthStack();
  });
  after(async () => {
    await env?.close();
  });

  it('reaches no protected handler without a token, whatever the spelling or method', async () => {
    const before = env.ollama.requests.length;
    for (const target of TARGETS) {
      for (const method of METHODS) {
        const res = await request(env.stack.port, method, target);
        const where = `${method} ${target}: ${res.status} ${res.text.slice(0, 120)}`;
        assert.ok(res.status < 500, where);
        if (res.status >= 200 && res.status < 300) {
          // Only the public handlers themselves may answer (e.g. `#` ends the path).
          assert.ok(['GET', 'HEAD'].includes(method), where);
          if (method === 'GET')
            assert.ok(
              PUBLIC_BODIES.some((b) => res.text.includes(b)),
              where,
            );
        } else if (res.status !== 400) {
          assert.equal(res.status, 401, where);
          if (method !== 'HEAD') assertEnvelope(res, 401, 'unauthorized');
        }
      }
    }
    assert.equal(env.ollama.requests.length, before, 'an unauthenticated request reached Ollama');
  });

  it('keeps the protected originals of those spellings at 401', async () => {
    for (const target of TARGETS.filter((t) => !t.includes('#'))) {
      const res = await request(env.stack.port, 'GET', target);
      if (res.status === 400) continue; // the HTTP parser refused the target outright
      assert.equal(res.status, 401, `GET ${target}: ${res.text}`);
    }
  });

  it('serves the public routes to GET and HEAD only', async () => {
    for (const path of ['/v1/health', '/v1/version']) {
      assert.equal((await request(env.stack.port, 'GET', path)).status, 200);
      assert.equal((await request(env.stack.port, 'HEAD', path)).status, 200);
      for (const method of ['OPTIONS', 'POST', 'DELETE']) {
        assertEnvelope(await request(env.stack.port, method, path), 401, 'unauthorized');
      }
    }
  });
});

describe('CORS preflights and authentication', () => {
  let env: AuthStack;
  const allowed = 'https://app.example';

  before(async () => {
    env = await startAuthStack({
      serverExtra: `  cors: {allow_origins: ["${allowed}"], allow_methods: [GET, POST], allow_headers: [Authorization, Content-Type]}`,
    });
  });
  after(async () => {
    await env?.close();
  });

  const options = (origin: string, preflight: boolean) =>
    request(
      env.stack.port,
      'OPTIONS',
      '/v1/chat/completions',
      `Origin: ${origin}${preflight ? '\r\nAccess-Control-Request-Method: POST' : ''}`,
    );

  it('answers a preflight from an allowed origin with 204 and no body, reaching no handler', async () => {
    const before = env.ollama.requests.length;
    const res = await options(allowed, true);
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers['access-control-allow-origin'], allowed);
    assert.equal(env.ollama.requests.length, before);
  });

  it('authenticates OPTIONS that is not a preflight or comes from another origin', async () => {
    assertEnvelope(await options(allowed, false), 401, 'unauthorized');
    const foreign = await options('https://evil.example', true);
    assertEnvelope(foreign, 401, 'unauthorized');
    assert.equal(foreign.headers['access-control-allow-origin'], undefined);
  });

  it('still requires a token from an allowed origin for the actual request', async () => {
    const res = await send('POST', `${env.stack.url}/v1/chat/completions`, {
      headers: { origin: allowed },
      body: { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x' }] },
    });
    assertEnvelope(res, 401, 'unauthorized');
  });
});

describe('quota of preflights, HEAD and health when authentication is off', () => {
  let ollama: OllamaStandin;
  let stack: RunningStack;

  before(async () => {
    ollama = await startOllamaStandin();
    stack = await startTestStack(
      ollamaRunYaml(
        ollama.url,
        `server:
  cors: true
  quota:
    kvstore: {type: sqlite, db_path: ":memory:"}
    anonymous_max_requests: 3
    period: minute
`,
      ),
    );
  });
  after(async () => {
    await stack?.close();
    await ollama?.close();
  });

  it('counts neither preflights nor health probes, but counts HEAD and GET of other routes', async () => {
    const preflight = 'Origin: http://localhost:3000\r\nAccess-Control-Request-Method: GET';
    for (let i = 0; i < 5; i++) {
      assert.equal((await request(stack.port, 'OPTIONS', '/v1/models', preflight)).status, 204);
      assert.equal((await request(stack.port, 'GET', '/v1/health')).status, 200);
      assert.equal((await request(stack.port, 'HEAD', '/v1/version')).status, 200);
    }
    assert.equal((await request(stack.port, 'HEAD', '/v1/models')).status, 200);
    assert.equal((await request(stack.port, 'GET', '/v1/models')).status, 200);
    assert.equal((await request(stack.port, 'GET', '/v1/models')).status, 200);
    assertEnvelope(await request(stack.port, 'GET', '/v1/models'), 429, 'rate_limited');
    assert.equal((await request(stack.port, 'GET', '/v1/health')).status, 200);
  });
});
