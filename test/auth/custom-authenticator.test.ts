import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authConfigSchema } from '../../src/auth/config.js';
import { createAuthenticator } from '../../src/auth/index.js';
import type { Authenticator } from '../../src/auth/types.js';
import { silentLogger } from '../../src/logging/logger.js';
import { rejectsWith } from './fixtures.js';
import { startStubService } from './stub-service.js';
import type { Recorded, StubReply } from './stub-service.js';

describe('custom authentication endpoint', () => {
  let answer: (req: Recorded) => StubReply;
  let endpoint: Awaited<ReturnType<typeof startStubService>>;
  let auth: Authenticator;

  before(async () => {
    endpoint = await startStubService((req) => answer(req));
    auth = createAuthenticator(
      authConfigSchema.parse({
        provider_config: { type: 'custom', endpoint: `${endpoint.url}/check` },
      }),
      { log: silentLogger() },
    );
    await auth.start();
  });
  after(async () => {
    await auth.close();
    await endpoint.close();
  });

  const request = (authorization?: string) => ({
    method: 'POST',
    url: '/v1/chat/completions?stream=true&tag=a&tag=b',
    headers: {
      ...(authorization ? { authorization } : {}),
      cookie: 'session=secret',
      'x-team': 'ml',
      'content-type': 'application/json',
    },
    ip: '10.1.1.1',
  });

  it('sends the key and request context, minus credentials, and accepts the principal', async () => {
    answer = () => ({
      status: 200,
      body: { principal: 'svc-7', attributes: { roles: ['admin'] } },
    });
    const principal = await auth.authenticate(request('Bearer key-123'));
    assert.deepEqual(principal, { id: 'svc-7', attributes: { roles: ['admin'] } });
    const sent = JSON.parse(endpoint.calls.at(-1)!.body) as {
      api_key: string;
      request: { path: string; headers: Record<string, string>; params: Record<string, string[]> };
    };
    assert.equal(sent.api_key, 'key-123');
    assert.equal(sent.request.path, '/v1/chat/completions');
    assert.deepEqual(sent.request.params, { stream: ['true'], tag: ['a', 'b'] });
    assert.equal(sent.request.headers['x-team'], 'ml');
    assert.equal(sent.request.headers.authorization, undefined);
    assert.equal(sent.request.headers.cookie, undefined);
  });

  it('explains where the key is validated when none is sent', async () => {
    await rejectsWith(
      auth.authenticate(request()),
      401,
      /^Authentication required\. Please provide your API key as a Bearer token \(validated by 127\.0\.0\.1:\d+\)$/,
    );
  });

  for (const status of [401, 403]) {
    it(`maps a ${status} from the endpoint to 401`, async () => {
      answer = () => ({ status, body: { message: 'no' } });
      await rejectsWith(auth.authenticate(request('Bearer bad')), 401, /Authentication failed/);
    });
  }

  for (const [label, reply] of [
    ['a 502', () => ({ status: 502, body: {} })],
    ['a dropped connection', () => 'drop'],
    ['an answer without principal', () => ({ status: 200, body: { ok: true } })],
  ] as const) {
    it(`maps ${label} to 503`, async () => {
      answer = reply as () => StubReply;
      await rejectsWith(
        auth.authenticate(request('Bearer k')),
        503,
        /authentication service unavailable/,
      );
    });
  }
});
