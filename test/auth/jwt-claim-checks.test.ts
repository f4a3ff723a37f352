import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthenticationError } from '../../src/errors/errors.js';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import {
  generateEncJwk,
  generateTestKey,
  ISSUER,
  keycloakClaims,
  mintToken,
} from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';
import { bearer, jwtAuthConfig, rejectsWith, startedAuthenticator } from './fixtures.js';
import type { OAuth2Authenticator } from '../../src/auth/oauth2-authenticator.js';

describe('JWT claim checks', () => {
  let idp: JwksServer;
  let key: TestKey;
  let auth: OAuth2Authenticator;
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    key = await generateTestKey('RS256');
    idp = await startJwksServer([await generateEncJwk(undefined, key), key.publicJwk]);
    auth = await startedAuthenticator(jwtAuthConfig(idp.uri, { required_claims: ['jti'] }));
  });
  after(async () => {
    await auth.close();
    await idp.close();
  });

  it('accepts a Keycloak access token and maps the principal and attributes', async () => {
    const token = await mintToken(key, keycloakClaims({ groups: ['ml', 'ops'], project: 'p1 p2' }));
    const principal = await auth.authenticate(bearer(token));
    assert.equal(principal.id, '2f6b1f0e-3c1a-4d8e-9a57-0c1d2e3f4a5b');
    assert.deepEqual(principal.attributes, {
      roles: ['2f6b1f0e-3c1a-4d8e-9a57-0c1d2e3f4a5b'],
      teams: ['ml', 'ops'],
      projects: ['p1', 'p2'],
    });
    assert.equal(typeof principal.expiresAt, 'number');
  });

  it('accepts aud as a plain string containing our audience', async () => {
    const token = await mintToken(key, keycloakClaims({ aud: 'lls-client' }));
    assert.ok(await auth.authenticate(bearer(token)));
  });

  it('rejects an expired token, naming the expiry', async () => {
    const exp = now() - 120;
    const token = await mintToken(key, keycloakClaims({ iat: exp - 300, exp }));
    const iso = new Date(exp * 1000).toISOString().replace('.000Z', 'Z');
    const err = await rejectsWith(auth.authenticate(bearer(token)), 401, /^token expired at /);
    assert.ok(err.message.includes(iso), err.message);
    assert.equal((err as AuthenticationError).bearerError, 'invalid_token');
  });

  it('tolerates expiry within clock_skew_seconds', async () => {
    const token = await mintToken(key, keycloakClaims({ iat: now() - 300, exp: now() - 10 }));
    assert.ok(await auth.authenticate(bearer(token)));
  });

  it('requires exp', async () => {
    const claims = keycloakClaims();
    delete claims.exp;
    await rejectsWith(
      auth.authenticate(bearer(await mintToken(key, claims))),
      401,
      /missing required claim exp/,
    );
  });

  it('requires configured required_claims', async () => {
    const claims = keycloakClaims();
    delete claims.jti;
    await rejectsWith(
      auth.authenticate(bearer(await mintToken(key, claims))),
      401,
      /missing required claim jti/,
    );
  });

  it('rejects nbf beyond the skew and accepts it within', async () => {
    const future = await mintToken(key, keycloakClaims({ nbf: now() + 120 }));
    await rejectsWith(auth.authenticate(bearer(future)), 401, /not valid before/);
    const nearly = await mintToken(key, keycloakClaims({ nbf: now() + 10 }));
    assert.ok(await auth.authenticate(bearer(nearly)));
  });

  it('rejects iat in the future beyond the skew', async () => {
    const token = await mintToken(key, keycloakClaims({ iat: now() + 600, exp: now() + 900 }));
    await rejectsWith(auth.authenticate(bearer(token)), 401, /issued in the future/);
  });

  it('rejects a wrong audience with the Keycloak hint', async () => {
    const token = await mintToken(key, keycloakClaims({ aud: 'account' }));
    const err = await rejectsWith(auth.authenticate(bearer(token)), 401, /^wrong audience/);
    assert.match(err.message, /expected lls-client, token has \[account\]/);
    assert.match(err.message, /Audience mapper/);
  });

  it('rejects an aud array without ours', async () => {
    const token = await mintToken(key, keycloakClaims({ aud: ['account', 'lls-client-evil'] }));
    await rejectsWith(
      auth.authenticate(bearer(token)),
      401,
      /wrong audience.*\[account, lls-client-evil\]/,
    );
  });

  it('rejects a missing aud', async () => {
    const claims = keycloakClaims();
    delete claims.aud;
    await rejectsWith(
      auth.authenticate(bearer(await mintToken(key, claims))),
      401,
      /missing required claim aud/,
    );
  });

  for (const iss of [
    'http://127.0.0.1:8080/realms/lls-auth-evil',
    'http://127.0.0.1:8080/realms/lls-auth/',
    'http://127.0.0.1:8080/auth/realms/lls-auth',
    'http://localhost:8080/realms/lls-auth',
    'https://127.0.0.1:8080/realms/lls-auth',
    'HTTP://127.0.0.1:8080/realms/lls-auth',
  ]) {
    it(`rejects the look-alike issuer ${iss}`, async () => {
      const token = await mintToken(key, keycloakClaims({ iss }));
      const err = await rejectsWith(auth.authenticate(bearer(token)), 401, /^wrong issuer/);
      assert.ok(err.message.includes(`expected ${ISSUER}, token has ${iss}`), err.message);
    });
  }

  it('rejects a missing iss', async () => {
    const claims = keycloakClaims();
    delete claims.iss;
    await rejectsWith(
      auth.authenticate(bearer(await mintToken(key, claims))),
      401,
      /missing required claim iss/,
    );
  });

  for (const typ of ['ID', 'Refresh', 'Offline']) {
    it(`rejects a Keycloak ${typ} token signed with the realm key`, async () => {
      const token = await mintToken(key, keycloakClaims({ typ, aud: 'lls-client' }));
      await rejectsWith(
        auth.authenticate(bearer(token)),
        401,
        new RegExp(`not an access token \\(typ=${typ}\\)`),
      );
    });
  }

  it('accepts a token without a payload typ', async () => {
    const claims = keycloakClaims();
    delete claims.typ;
    assert.ok(await auth.authenticate(bearer(await mintToken(key, claims))));
  });

  it('falls back to azp, then client_id, when sub is missing', async () => {
    const withAzp = keycloakClaims({ azp: 'svc-a' });
    delete withAzp.sub;
    assert.equal((await auth.authenticate(bearer(await mintToken(key, withAzp)))).id, 'svc-a');
    const withClientId = keycloakClaims({ client_id: 'svc-b' });
    delete withClientId.sub;
    delete withClientId.azp;
    assert.equal((await auth.authenticate(bearer(await mintToken(key, withClientId)))).id, 'svc-b');
    const none = keycloakClaims();
    for (const name of ['sub', 'azp', 'client_id']) delete none[name];
    await rejectsWith(
      auth.authenticate(bearer(await mintToken(key, none))),
      401,
      /missing required claim sub/,
    );
  });
});

describe('JWT issuer and audience lists', () => {
  it('accepts any listed issuer and any listed audience', async () => {
    const key = await generateTestKey('ES256');
    const idp = await startJwksServer([key.publicJwk]);
    const auth = await startedAuthenticator(
      jwtAuthConfig(idp.uri, {
        issuer: [ISSUER, 'http://keycloak:8080/realms/lls-auth'],
        audience: ['lls-client', 'llama-stack'],
        algorithms: ['ES256'],
      }),
    );
    try {
      const internal = keycloakClaims({
        iss: 'http://keycloak:8080/realms/lls-auth',
        aud: 'llama-stack',
      });
      assert.ok(await auth.authenticate(bearer(await mintToken(key, internal))));
      const other = keycloakClaims({ iss: 'http://keycloak:9090/realms/lls-auth' });
      await rejectsWith(
        auth.authenticate(bearer(await mintToken(key, other))),
        401,
        /wrong issuer/,
      );
    } finally {
      await auth.close();
      await idp.close();
    }
  });
});
