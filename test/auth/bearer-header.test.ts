import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OAuth2Authenticator } from '../../src/auth/oauth2-authenticator.js';
import { AuthenticationError } from '../../src/errors/errors.js';
import { toHttpError } from '../../src/errors/http.js';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import { generateTestKey, ISSUER, mintToken } from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';
import { jwtAuthConfig, rejectsWith, startedAuthenticator } from './fixtures.js';

function withHeader(value: string | string[] | undefined) {
  return { method: 'GET', url: '/v1/models', headers: { authorization: value }, ip: '10.0.0.1' };
}

describe('Authorization header parsing', () => {
  let idp: JwksServer;
  let key: TestKey;
  let auth: OAuth2Authenticator;

  before(async () => {
    key = await generateTestKey('ES256');
    idp = await startJwksServer([key.publicJwk]);
    auth = await startedAuthenticator(jwtAuthConfig(idp.uri));
  });
  after(async () => {
    await auth.close();
    await idp.close();
  });

  it('asks for a token from the issuer when none is sent, without an error code', async () => {
    const err = await rejectsWith(
      auth.authenticate(withHeader(undefined)),
      401,
      /^Authentication required\. Please provide a valid OAuth2 Bearer token from /,
    );
    assert.equal(err.message.endsWith(ISSUER), true);
    assert.ok(err instanceof AuthenticationError);
    assert.equal(err.bearerError, undefined);
    assert.equal(toHttpError(err).headers['www-authenticate'], 'Bearer realm="llamagate"');
  });

  it('accepts the scheme in any case', async () => {
    const token = await mintToken(key);
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      assert.ok(await auth.authenticate(withHeader(`${scheme} ${token}`)));
    }
  });

  for (const [label, value, message] of [
    ['empty header', '', /Authorization header is empty/],
    ['scheme only', 'Bearer', /empty Bearer token/],
    ['scheme and spaces', 'Bearer    ', /empty Bearer token/],
    ['Basic scheme', 'Basic dXNlcjpwYXNz', /Invalid Authorization header format/],
    ['Token scheme', 'Token abc', /Invalid Authorization header format/],
    ['two headers', ['Bearer a.b.c', 'Bearer d.e.f'], /exactly one Authorization header/],
  ] as const) {
    it(`rejects ${label} with invalid_request`, async () => {
      const err = await rejectsWith(
        auth.authenticate(withHeader(value as string | string[])),
        401,
        message,
      );
      assert.equal((err as AuthenticationError).bearerError, 'invalid_request');
    });
  }

  it('rejects a token containing spaces or illegal characters as malformed', async () => {
    await rejectsWith(auth.authenticate(withHeader('Bearer abc def')), 401, /malformed token/);
    await rejectsWith(auth.authenticate(withHeader('Bearer abc"def')), 401, /malformed token/);
  });

  it('rejects an oversized header before looking at it', async () => {
    const big = `Bearer ${'a'.repeat(17 * 1024)}`;
    await rejectsWith(auth.authenticate(withHeader(big)), 401, /token too large/);
  });

  it('never echoes the token in an error message', async () => {
    const token = await mintToken({ ...key, kid: 'nope' });
    const err = await rejectsWith(auth.authenticate(withHeader(`Bearer ${token}`)), 401, /./);
    assert.ok(!err.message.includes(token.split('.')[1]!));
  });
});

describe('missing-credential message without an issuer', () => {
  it('points at the Authorization header', async () => {
    const idp = await startJwksServer([]);
    const auth = await startedAuthenticator(jwtAuthConfig(idp.uri, { issuer: null }));
    try {
      await rejectsWith(
        auth.authenticate(withHeader(undefined)),
        401,
        /^Authentication required\. Please provide a valid OAuth2 Bearer token in the Authorization header$/,
      );
    } finally {
      await auth.close();
      await idp.close();
    }
  });
});
