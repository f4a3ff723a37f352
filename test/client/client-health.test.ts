import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import type { HealthReport } from '../../src/client/health.js';
import { startHarness } from './harness.js';

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('GET /health reports both dependencies', () => {
  it('both up: status ok, and no token is requested', async () => {
    const h = await startHarness();
    try {
      const res = await fetch(`${h.client.url}/health`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as HealthReport;
      assert.equal(body.status, 'ok');
      assert.equal(body.identity_provider.reachable, true);
      assert.equal(body.identity_provider.ok, true);
      assert.match(
        body.identity_provider.url,
        /\/realms\/lls-auth\/\.well-known\/openid-configuration$/,
      );
      assert.equal(body.stack_server.reachable, true);
      assert.equal(body.stack_server.http_status, 200);
      assert.equal(h.idp.requests.length, 0);
    } finally {
      await h.close();
    }
  });

  it('both down: 200 with status degraded and a reason for each', async () => {
    const [a, b] = [await unusedPort(), await unusedPort()];
    const h = await startHarness({
      keycloakBaseUrl: `http://127.0.0.1:${a}`,
      llsBaseUrl: `http://127.0.0.1:${b}`,
      healthTimeoutMs: 500,
    });
    try {
      const res = await fetch(`${h.client.url}/health`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as HealthReport;
      assert.equal(body.status, 'degraded');
      assert.equal(body.identity_provider.reachable, false);
      assert.match(body.identity_provider.error ?? '', /not reachable \(ECONNREFUSED\)/);
      assert.equal(body.stack_server.reachable, false);
      assert.equal(body.stack_server.ok, false);
    } finally {
      await h.close();
    }
  });

  it('wrong realm: reachable but not ok', async () => {
    const h = await startHarness({ keycloakRealm: 'myrealm' });
    try {
      const body = (await (await fetch(`${h.client.url}/health`)).json()) as HealthReport;
      assert.equal(body.status, 'degraded');
      assert.equal(body.identity_provider.reachable, true);
      assert.equal(body.identity_provider.ok, false);
      assert.equal(body.identity_provider.http_status, 404);
      assert.equal(body.stack_server.ok, true);
    } finally {
      await h.close();
    }
  });
});
