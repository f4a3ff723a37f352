import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OAuth2Authenticator } from '../../src/auth/oauth2-authenticator.js';
import { VerifiedTokenCache } from '../../src/auth/token-cache.js';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import { generateTestKey, keycloakClaims, mintToken } from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';
import { bearer, jwtAuthConfig, rejectsWith, startedAuthenticator, TestClock } from './fixtures.js';

describe('verified-token cache', () => {
  let idp: JwksServer;
  let key: TestKey;
  let auth: OAuth2Authenticator;
  const clock = new TestClock();

  before(async () => {
    key = await generateTestKey('EdDSA', undefined, { crv: 'Ed25519' });
    idp = await startJwksServer([key.publicJwk]);
    auth = await startedAuthenticator(jwtAuthConfig(idp.uri), clock);
  });
  after(async () => {
    await auth.close();
    await idp.close();
  });

  it('serves repeated requests with one signature check', async () => {
    const token = await mintToken(key);
    const first = await auth.authenticate(bearer(token));
    const { verifications, cacheHits } = auth.stats;
    for (let i = 0; i < 5; i++) assert.deepEqual(await auth.authenticate(bearer(token)), first);
    assert.equal(auth.stats.verifications, verifications);
    assert.equal(auth.stats.cacheHits, cacheHits + 5);
  });

  it('never serves a token past its exp from the cache', async () => {
    const nowS = Math.floor(clock.ms / 1000);
    const token = await mintToken(key, keycloakClaims({ iat: nowS, exp: nowS + 60 }));
    await auth.authenticate(bearer(token));
    clock.advance(61);
    const before = auth.stats.verifications;
    assert.ok(await auth.authenticate(bearer(token)), 'still inside the clock skew');
    assert.equal(auth.stats.verifications, before + 1, 'expired entry was served from the cache');
    clock.advance(60);
    await rejectsWith(auth.authenticate(bearer(token)), 401, /token expired at/);
  });

  it('does not cache failures', async () => {
    const token = await mintToken(key, keycloakClaims({ aud: 'account' }));
    const before = auth.stats.verifications;
    await rejectsWith(auth.authenticate(bearer(token)), 401, /wrong audience/);
    await rejectsWith(auth.authenticate(bearer(token)), 401, /wrong audience/);
    assert.equal(auth.stats.verifications, before + 2);
  });

  it('stores digests, not tokens, and hands out frozen principals', async () => {
    const token = await mintToken(key, keycloakClaims({ jti: 'digest-check' }));
    const principal = await auth.authenticate(bearer(token));
    const ids = [...(auth['cache'] as unknown as { entries: Map<string, unknown> }).entries.keys()];
    assert.ok(ids.length > 0);
    assert.ok(ids.every((id) => !token.includes(id) && id.length === 43));
    assert.throws(() => principal.attributes.roles!.push('admin'));
  });

  it('is bounded, evicting the least recently used entry', () => {
    const t = new TestClock();
    const cache = new VerifiedTokenCache({ maxEntries: 3, maxAgeMs: 60_000, now: t.now });
    const p = (id: string) => ({ id, attributes: {} });
    for (const id of ['a', 'b', 'c']) cache.set(id, p(id));
    assert.ok(cache.get('a')); // a becomes most recent
    cache.set('d', p('d'));
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined);
    assert.ok(cache.get('a') && cache.get('c') && cache.get('d'));
  });

  it('caps entry lifetime at maxAge even for long-lived tokens', () => {
    const t = new TestClock();
    const cache = new VerifiedTokenCache({ maxEntries: 10, maxAgeMs: 1_000, now: t.now });
    cache.set('x', { id: 'x', attributes: {}, expiresAt: t.ms / 1000 + 3600 });
    assert.ok(cache.get('x'));
    t.advance(1.5);
    assert.equal(cache.get('x'), undefined);
  });
});
