import assert from 'node:assert/strict';
import { createHmac, createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import type { OAuth2Authenticator } from '../../src/auth/oauth2-authenticator.js';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import {
  b64url,
  generateEncJwk,
  generateTestKey,
  keycloakClaims,
  mintToken,
  rawToken,
  signRs256Raw,
  withAlgorithm,
} from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';
import { bearer, jwtAuthConfig, rejectsWith, startedAuthenticator } from './fixtures.js';

function hs256(secret: string | Buffer, header: object, payload: object): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

describe('JWT attack classes', () => {
  let idp: JwksServer;
  let attacker: JwksServer;
  let key: TestKey;
  let evil: TestKey;
  let auth: OAuth2Authenticator;

  before(async () => {
    key = await generateTestKey('RS256');
    evil = await generateTestKey('RS256');
    idp = await startJwksServer([await generateEncJwk(undefined, key), key.publicJwk]);
    attacker = await startJwksServer([evil.publicJwk]);
    auth = await startedAuthenticator(jwtAuthConfig(idp.uri, { algorithms: ['RS256'] }));
  });
  after(async () => {
    await auth.close();
    await idp.close();
    await attacker.close();
  });

  it('rejects alg none', async () => {
    const token = rawToken({ alg: 'none', typ: 'JWT', kid: key.kid }, keycloakClaims());
    await rejectsWith(auth.authenticate(bearer(token)), 401, /algorithm none not accepted/);
  });

  it('rejects HS256 signed with the RSA public key (PEM and modulus)', async () => {
    const publicKey = createPublicKey({ key: key.publicJwk as never, format: 'jwk' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const modulus = Buffer.from(key.publicJwk.n!, 'base64url');
    for (const secret of [pem, modulus, key.publicJwk.n!]) {
      const token = hs256(secret, { alg: 'HS256', typ: 'JWT', kid: key.kid }, keycloakClaims());
      await rejectsWith(auth.authenticate(bearer(token)), 401, /algorithm HS256 not accepted/);
    }
  });

  it('rejects a Keycloak-style HS512 refresh token', async () => {
    const payload = keycloakClaims({
      typ: 'Refresh',
      aud: 'http://127.0.0.1:8080/realms/lls-auth',
    });
    const header = { alg: 'HS512', typ: 'JWT', kid: 'c1e6f2a0-hmac' };
    const input = `${b64url(header)}.${b64url(payload)}`;
    const token = `${input}.${createHmac('sha512', 'realm-secret').update(input).digest('base64url')}`;
    await rejectsWith(auth.authenticate(bearer(token)), 401, /algorithm HS512 not accepted/);
  });

  it('rejects algorithms outside the configured list even for a fitting key', async () => {
    const ps = await withAlgorithm(evil, 'PS256', 'pss-key');
    idp.setKeys([key.publicJwk, { ...ps.publicJwk, alg: undefined }]);
    await auth['keys']!.refresh();
    await rejectsWith(auth.authenticate(bearer(await mintToken(ps))), 401, /PS256 not accepted/);
  });

  it('rejects a tampered payload', async () => {
    const [h, , s] = (await mintToken(key)).split('.');
    const forged = `${h}.${b64url(keycloakClaims({ sub: 'admin' }))}.${s}`;
    await rejectsWith(auth.authenticate(bearer(forged)), 401, /^invalid signature$/);
  });

  it('rejects a tampered signature', async () => {
    const token = await mintToken(key);
    const sig = Buffer.from(token.split('.')[2]!, 'base64url');
    sig[10] = sig[10]! ^ 0xff;
    const forged = `${token.split('.').slice(0, 2).join('.')}.${sig.toString('base64url')}`;
    await rejectsWith(auth.authenticate(bearer(forged)), 401, /^invalid signature$/);
  });

  it('rejects a token signed by another key under our kid', async () => {
    const token = await mintToken({ ...evil, kid: key.kid });
    await rejectsWith(auth.authenticate(bearer(token)), 401, /^invalid signature$/);
  });

  it('never fetches or trusts keys named by jku, x5u, jwk or x5c headers', async () => {
    const before = attacker.requests;
    const hints = {
      jku: attacker.uri,
      x5u: `${attacker.origin}/cert.pem`,
      jwk: evil.publicJwk,
      x5c: ['MIIBattackercert'],
    };
    // Attacker's own kid: unknown to our IdP, so it must fail as an unknown key...
    const ownKid = await mintToken(evil, keycloakClaims(), hints);
    await rejectsWith(auth.authenticate(bearer(ownKid)), 401, /unknown signing key/);
    // ...and under our kid the embedded key is ignored, so the signature does not verify.
    const ourKid = await mintToken({ ...evil, kid: key.kid }, keycloakClaims(), hints);
    await rejectsWith(auth.authenticate(bearer(ourKid)), 401, /invalid signature/);
    assert.equal(attacker.requests, before, 'the attacker key server was contacted');
  });

  it('rejects unknown crit extensions and unencoded payloads', async () => {
    const base = { alg: 'RS256', typ: 'JWT', kid: key.kid };
    const crit = await signRs256Raw(
      key,
      { ...base, crit: ['exp-policy'], 'exp-policy': 1 },
      keycloakClaims(),
    );
    await rejectsWith(auth.authenticate(bearer(crit)), 401, /not recognized/);
    const b64 = await signRs256Raw(key, { ...base, crit: ['b64'], b64: false }, keycloakClaims());
    await rejectsWith(auth.authenticate(bearer(b64)), 401, /malformed token|unencoded/);
    const control = await signRs256Raw(key, base, keycloakClaims());
    assert.ok(
      await auth.authenticate(bearer(control)),
      'the raw signer itself produces valid tokens',
    );
  });

  it('never uses a key published with use: enc or without verify in key_ops', async () => {
    const encPair = await withAlgorithm(evil, 'RS256', 'enc-key');
    // Labelled RS256 so that only `use` / `key_ops` can exclude it.
    idp.setKeys([
      { ...encPair.publicJwk, use: 'enc' },
      { ...encPair.publicJwk, kid: 'ops-key', use: undefined, key_ops: ['encrypt'] },
      key.publicJwk,
    ]);
    await auth['keys']!.refresh();
    assert.equal(auth['keys']!.size, 1);
    await rejectsWith(
      auth.authenticate(bearer(await mintToken(encPair))),
      401,
      /unknown signing key/,
    );
    const opsToken = await mintToken({ ...encPair, kid: 'ops-key' });
    await rejectsWith(auth.authenticate(bearer(opsToken)), 401, /unknown signing key/);
    idp.setKeys([{ ...encPair.publicJwk, use: 'sig' }, key.publicJwk]);
    await auth['keys']!.refresh();
    assert.ok(
      await auth.authenticate(bearer(await mintToken(encPair))),
      'same key as sig verifies',
    );
  });

  it('refuses oversized tokens before verifying them', async () => {
    const huge = await mintToken(key, keycloakClaims({ pad: 'x'.repeat(20_000) }));
    const verifications = auth.stats.verifications;
    await rejectsWith(auth.authenticate(bearer(huge)), 401, /token too large/);
    assert.equal(auth.stats.verifications, verifications);
  });

  for (const [label, token] of [
    ['garbage', 'not-a-jwt'],
    ['two segments', 'abc.def'],
    ['four segments', 'a.b.c.d'],
    ['header not JSON', `${b64url('hello')}.${b64url({})}.sig`],
    ['header is an array', `${b64url([1])}.${b64url({})}.sig`],
    ['payload not JSON', `${b64url({ alg: 'RS256', kid: 'x' })}.${b64url('[')}.c2ln`],
    ['non-base64url chars', 'eyJ!.eyJ.sig'],
    ['kid is a number', rawToken({ alg: 'RS256', kid: 7 }, keycloakClaims(), 'c2ln')],
  ] as const) {
    it(`answers 401, never 500, for a malformed token (${label})`, async () => {
      await rejectsWith(auth.authenticate(bearer(token)), 401, /./);
    });
  }
});
