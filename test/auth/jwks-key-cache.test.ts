import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OAuth2Authenticator } from '../../src/auth/oauth2-authenticator.js';
import { AuthServiceUnavailableError } from '../../src/errors/errors.js';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import { generateEncJwk, generateTestKey, keycloakClaims, mintToken } from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';
import { bearer, jwtAuthConfig, rejectsWith, startedAuthenticator, TestClock } from './fixtures.js';

/** A port that was free a moment ago, so connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('JWKS key cache', () => {
  let idp: JwksServer;
  let oldKey: TestKey;
  let newKey: TestKey;
  const opened: OAuth2Authenticator[] = [];

  async function fresh(clock: TestClock, jwks: Record<string, unknown> = {}) {
    const auth = await startedAuthenticator(jwtAuthConfig(idp.uri, {}, jwks), clock);
    opened.push(auth);
    return auth;
  }

  before(async () => {
    [oldKey, newKey] = await Promise.all([generateTestKey('RS256'), generateTestKey('ES256')]);
    idp = await startJwksServer();
  });
  after(async () => {
    for (const auth of opened) await auth.close();
    await idp.close();
  });

  it('skips a leading enc key and verifies with the signing key', async () => {
    idp.setMode('ok');
    idp.setKeys([await generateEncJwk(undefined, oldKey), oldKey.publicJwk]);
    const auth = await fresh(new TestClock());
    assert.equal(auth['keys']!.size, 1);
    assert.ok(await auth.authenticate(bearer(await mintToken(oldKey))));
  });

  it('refetches once for a rotated key and then accepts it', async () => {
    idp.setMode('ok');
    idp.setKeys([oldKey.publicJwk]);
    const clock = new TestClock();
    const auth = await fresh(clock);
    clock.advance(60); // rotation happens a while after start-up
    const fetches = idp.fetches;
    idp.setKeys([oldKey.publicJwk, newKey.publicJwk]);
    assert.ok(await auth.authenticate(bearer(await mintToken(newKey))));
    assert.equal(idp.fetches, fetches + 1);
    assert.ok(
      await auth.authenticate(bearer(await mintToken(newKey, keycloakClaims({ jti: 'x' })))),
    );
    assert.equal(idp.fetches, fetches + 1, 'a known kid needs no fetch');
  });

  it('bounds key-set fetches under a flood of made-up kids', async () => {
    idp.setMode('ok');
    idp.setKeys([oldKey.publicJwk]);
    const clock = new TestClock();
    const auth = await fresh(clock);
    clock.advance(60); // past the cooldown that the start-up fetch began
    const fetches = idp.fetches;
    const forged = await Promise.all(
      Array.from({ length: 40 }, () => mintToken({ ...oldKey, kid: randomUUID() })),
    );
    const results = await Promise.allSettled(forged.map((t) => auth.authenticate(bearer(t))));
    assert.ok(results.every((r) => r.status === 'rejected'));
    assert.equal(idp.fetches, fetches + 1, 'concurrent misses share one fetch');

    for (const token of forged.slice(0, 10)) {
      await rejectsWith(auth.authenticate(bearer(token)), 401, /unknown signing key \(kid /);
    }
    assert.equal(idp.fetches, fetches + 1, 'no fetch within the cooldown');
    clock.advance(11);
    await rejectsWith(auth.authenticate(bearer(forged[0]!)), 401, /unknown signing key/);
    assert.equal(idp.fetches, fetches + 2, 'one more fetch after the cooldown');
  });

  it('does not tell callers the address of an unreachable key set, only the log', async () => {
    idp.setKeys([oldKey.publicJwk]);
    idp.setMode('down');
    const auth = await fresh(new TestClock());
    const err = await rejectsWith(auth.authenticate(bearer(await mintToken(oldKey))), 503, /./);
    assert.ok(!err.message.includes(idp.uri), err.message);
    assert.equal((err.detail as { jwks: string }).jwks, idp.uri);
  });

  it('answers 503 while the IdP is down at start and recovers when it returns', async () => {
    idp.setKeys([oldKey.publicJwk]);
    idp.setMode('down');
    const clock = new TestClock();
    const auth = await fresh(clock); // start() must not throw
    const token = await mintToken(oldKey);
    const err = await rejectsWith(
      auth.authenticate(bearer(token)),
      503,
      /^authentication service unavailable: cannot load signing keys from the identity provider$/,
    );
    assert.ok(err instanceof AuthServiceUnavailableError);
    assert.equal(err.headers['retry-after'], '5');

    const fetches = idp.fetches;
    await rejectsWith(auth.authenticate(bearer(token)), 503, /cannot load signing keys/);
    assert.equal(idp.fetches, fetches, 'a down IdP is not hammered within the cooldown');

    idp.setMode('ok');
    clock.advance(11);
    assert.ok(await auth.authenticate(bearer(token)));
  });

  for (const mode of ['error500', 'redirect', 'not-json', 'slow'] as const) {
    it(`treats a key-set answer of kind ${mode} as unavailable (503)`, async () => {
      idp.setKeys([oldKey.publicJwk]);
      idp.setMode(mode, 2_000);
      const auth = await fresh(new TestClock(), { timeout_seconds: 0.3 });
      await rejectsWith(auth.authenticate(bearer(await mintToken(oldKey))), 503, /cannot load/);
      idp.setMode('ok');
    });
  }

  it('answers 503 when the JWKS port refuses connections', async () => {
    const port = await closedPort();
    const auth = await startedAuthenticator(
      jwtAuthConfig(`http://127.0.0.1:${port}/certs`),
      new TestClock(),
    );
    opened.push(auth);
    await rejectsWith(auth.authenticate(bearer(await mintToken(oldKey))), 503, /cannot load/);
  });

  it('keeps the last good keys when a refresh fails; unknown kids then get 503', async () => {
    idp.setMode('ok');
    idp.setKeys([oldKey.publicJwk]);
    const clock = new TestClock();
    const auth = await fresh(clock);
    idp.setMode('error500');
    await assert.rejects(auth['keys']!.refresh());
    assert.ok(await auth.authenticate(bearer(await mintToken(oldKey))), 'stale keys still verify');
    clock.advance(11);
    const unknown = await mintToken({ ...oldKey, kid: 'rotated-away' });
    await rejectsWith(auth.authenticate(bearer(unknown)), 503, /cannot load signing keys/);
    idp.setMode('ok');
  });

  it('refreshes in the background every key_recheck_period', async () => {
    idp.setMode('ok');
    idp.setKeys([oldKey.publicJwk]);
    const auth = await fresh(new TestClock(), { key_recheck_period: 1 });
    const fetches = idp.fetches;
    idp.setKeys([oldKey.publicJwk, newKey.publicJwk]);
    await sleep(1_300);
    assert.ok(idp.fetches > fetches, 'no background fetch happened');
    assert.equal(auth['keys']!.size, 2);
  });

  it('sends jwks.token as a bearer credential', async () => {
    idp.setMode('ok');
    await fresh(new TestClock(), { token: 'k8s-sa-token' });
    assert.equal(idp.lastHeaders?.authorization, 'Bearer k8s-sa-token');
  });

  it('drops cached verifications when their key leaves the key set', async () => {
    idp.setMode('ok');
    idp.setKeys([oldKey.publicJwk]);
    const auth = await fresh(new TestClock());
    const token = await mintToken(oldKey);
    await auth.authenticate(bearer(token));
    await auth.authenticate(bearer(token));
    assert.equal(auth.stats.cacheHits, 1);
    idp.setKeys([newKey.publicJwk]);
    await auth['keys']!.refresh();
    await rejectsWith(auth.authenticate(bearer(token)), 401, /unknown signing key/);
  });
});
