import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { startHarness } from './harness.js';

interface Envelope {
  error: { message: string; code: string };
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('POST /api/invoke when a dependency fails: 502/503/504, never a bare 500', () => {
  it('wrong client secret → 502 with the plain message, secret not echoed or logged', async () => {
    const h = await startHarness({ clientSecret: 'definitely-wrong-secret' });
    try {
      const res = await h.invoke({ prompt: 'x' });
      assert.equal(res.status, 502);
      const body = (await res.json()) as Envelope;
      assert.equal(
        body.error.message,
        "the identity provider rejected the client credentials for 'lls-client' " +
          '(unauthorized_client: Invalid client or Invalid client credentials) — check KEYCLOAK_CLIENT_SECRET',
      );
      assert.equal(h.stack.requests.length, 0);
      assert.ok(!h.logs.raw().includes('definitely-wrong-secret'));
    } finally {
      await h.close();
    }
  });

  it('identity provider down → 503', async () => {
    const port = await unusedPort();
    const h = await startHarness({ keycloakBaseUrl: `http://127.0.0.1:${port}` });
    try {
      const res = await h.invoke({ prompt: 'x' });
      assert.equal(res.status, 503);
      const body = (await res.json()) as Envelope;
      assert.match(
        body.error.message,
        new RegExp(
          `^identity provider at http://127.0.0.1:${port}/realms/lls-auth/protocol/openid-connect/token is not reachable`,
        ),
      );
      assert.equal(body.error.code, 'upstream_unavailable');
    } finally {
      await h.close();
    }
  });

  it('stack server down → 503', async () => {
    const port = await unusedPort();
    const h = await startHarness({ llsBaseUrl: `http://127.0.0.1:${port}` });
    try {
      const res = await h.invoke({ prompt: 'x' });
      assert.equal(res.status, 503);
      const body = (await res.json()) as Envelope;
      assert.match(
        body.error.message,
        /^stack server at http:\/\/127\.0\.0\.1:\d+\/v1\/inference\/chat-completion is not reachable \(ECONNREFUSED\) — is it running\? check LLS_BASE_URL$/,
      );
    } finally {
      await h.close();
    }
  });

  it('stack server too slow → 504 after the configured timeout', async () => {
    const h = await startHarness({ upstreamTimeoutMs: 200 });
    h.stack.delayMs = 1500;
    try {
      const started = Date.now();
      const res = await h.invoke({ prompt: 'x' });
      assert.equal(res.status, 504);
      const body = (await res.json()) as Envelope;
      assert.match(body.error.message, /did not answer within 0\.2 s$/);
      assert.ok(Date.now() - started < 1400);
    } finally {
      await h.close();
    }
  });

  it('identity provider too slow → 504', async () => {
    const h = await startHarness({ tokenTimeoutMs: 150 });
    h.idp.delayMs = 1000;
    try {
      const res = await h.invoke({ prompt: 'x' });
      assert.equal(res.status, 504);
      assert.match(
        ((await res.json()) as Envelope).error.message,
        /identity provider .* did not answer within 0\.15 s/,
      );
    } finally {
      await h.close();
    }
  });

  it('logs one line per request: 5xx at error, 4xx at info, with id, method, path, status, duration', async () => {
    const port = await unusedPort();
    const h = await startHarness({ llsBaseUrl: `http://127.0.0.1:${port}` });
    try {
      await (
        await h.invoke(
          { prompt: 'x' },
          { headers: { 'content-type': 'application/json', 'x-request-id': 'req-503' } },
        )
      ).text();
      await (
        await h.invoke(
          {},
          { headers: { 'content-type': 'application/json', 'x-request-id': 'req-400' } },
        )
      ).text();
      await new Promise((r) => setTimeout(r, 50));
      const lines = h.logs.lines().filter((l) => l.reqId === 'req-503' || l.reqId === 'req-400');
      const failed = lines.filter((l) => l.reqId === 'req-503' && 'status' in l);
      const bad = lines.filter((l) => l.reqId === 'req-400' && 'status' in l);
      assert.equal(failed.length, 1);
      assert.equal(bad.length, 1);
      assert.equal(failed[0]?.level, 50);
      assert.equal(failed[0]?.status, 503);
      assert.equal(failed[0]?.method, 'POST');
      assert.equal(failed[0]?.path, '/api/invoke');
      assert.equal(typeof failed[0]?.durationMs, 'number');
      assert.equal(bad[0]?.level, 30);
      assert.equal(bad[0]?.status, 400);
    } finally {
      await h.close();
    }
  });
});
