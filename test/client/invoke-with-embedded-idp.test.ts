import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startClientService, type RunningClientService } from '../../src/client/index.js';
import { runTokenCommand } from '../../src/cli/commands/token.js';
import { startIdp, type RunningIdp } from '../../src/idp/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { startFakeStackServer, type FakeStackServer } from '../support/fake-stack-server.js';

interface Envelope {
  error: { message: string };
}

/**
 * The client service against the embedded identity provider with the shipped realm file and no
 * KEYCLOAK_CLIENT_SECRET: the development secret is read from that file. The stack server
 * verifies the RS256 tokens against the provider's JWKS, issuer and audience.
 */
describe('client service with the embedded identity provider', () => {
  let dir: string;
  let idp: RunningIdp;
  let stack: FakeStackServer;
  let client: RunningClientService;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llamagate-client-idp-'));
    idp = await startIdp({
      host: '127.0.0.1',
      port: 0,
      dataDir: join(dir, 'idp'),
      log: silentLogger(),
    });
    const jwks = createRemoteJWKSet(new URL(idp.jwksUri));
    stack = await startFakeStackServer({
      acceptToken: (token) =>
        jwtVerify(token, jwks, { issuer: idp.issuer, audience: 'lls-client' }).then(
          () => true,
          () => false,
        ),
    });
    env = { KEYCLOAK_BASE_URL: idp.url, LLS_BASE_URL: stack.url };
    client = await startClientService({
      env,
      cwd: dir,
      log: silentLogger(),
      settings: { port: 0 },
    });
  });
  after(async () => {
    await client.close();
    await Promise.all([idp.close(), stack.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const invoke = (body: unknown) =>
    fetch(`${client.url}/api/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('uses the realm file secret and gets a token the stack server accepts', async () => {
    assert.equal(client.settings.clientSecretFrom, 'realm-file');
    const res = await invoke({ prompt: 'Hello from Llama Stack!' });
    assert.equal(res.status, 200);
    const answer = (await res.json()) as { completion_message: { content: string } };
    assert.equal(answer.completion_message.content, 'echo: Hello from Llama Stack!');

    const claims = decodeJwt(stack.requests[0]?.token ?? '');
    assert.equal(claims.iss, idp.issuer);
    assert.equal(claims.azp, 'lls-client');
  });

  it('reuses the cached token across invocations', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await invoke({ prompt: `n${i}` })).status, 200);
    assert.equal(new Set(stack.requests.map((r) => r.token)).size, 1);
  });

  it('retries once with a fresh token after a 401', async () => {
    const before = stack.requests.length;
    stack.reject401 = 1;
    assert.equal((await invoke({ prompt: 'again' })).status, 200);
    const [first, second] = stack.requests.slice(before);
    assert.ok(first?.token && second?.token);
    assert.notEqual(first.token, second.token);
  });

  it('reports the identity provider healthy', async () => {
    const body = (await (await fetch(`${client.url}/health`)).json()) as {
      status: string;
      identity_provider: { ok: boolean };
    };
    assert.equal(body.identity_provider.ok, true);
    assert.equal(body.status, 'ok');
  });

  it('a wrong secret is reported in plain words', async () => {
    const wrong = await startClientService({
      env: { ...env, KEYCLOAK_CLIENT_SECRET: 'not-the-secret' },
      cwd: dir,
      log: silentLogger(),
      settings: { port: 0 },
    });
    try {
      const res = await fetch(`${wrong.url}/api/invoke`, {
        method: 'POST',
        body: JSON.stringify({ prompt: 'x' }),
      });
      assert.equal(res.status, 502);
      assert.match(
        ((await res.json()) as Envelope).error.message,
        /^the identity provider rejected the client credentials for 'lls-client' \(.*\) — check KEYCLOAK_CLIENT_SECRET$/,
      );
    } finally {
      await wrong.close();
    }
  });

  it('llamagate token prints a JWT signed by the provider', async () => {
    let stdout = '';
    let stderr = '';
    const code = await runTokenCommand([], {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env,
      cwd: dir,
    });
    assert.equal(code, 0, stderr);
    const token = stdout.trim();
    assert.equal(token.split('.').length, 3);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), {
      issuer: idp.issuer,
      audience: 'lls-client',
    });
    assert.equal(payload.azp, 'lls-client');
  });
});
