import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OAuth2Server } from 'oauth2-mock-server';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import { generateTestKey, mintToken } from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';
import { bearer, jwtAuthConfig, rejectsWith, startedAuthenticator } from './fixtures.js';

/** Asks the mock issuer's real token endpoint for a token. */
async function tokenFrom(mock: OAuth2Server, form: Record<string, string>): Promise<string> {
  const res = await fetch(`${mock.issuer.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('tokens from an independent issuer (oauth2-mock-server)', () => {
  let mock: OAuth2Server;
  let ours: JwksServer;
  let ourKey: TestKey;

  before(async () => {
    mock = new OAuth2Server();
    await mock.issuer.keys.generate('RS256');
    await mock.start(0, '127.0.0.1');
    ourKey = await generateTestKey('ES256');
    ours = await startJwksServer([ourKey.publicJwk]);
  });
  after(async () => {
    await mock.stop();
    await ours.close();
  });

  const mockConfig = () =>
    jwtAuthConfig(`${mock.issuer.url}/jwks`, {
      issuer: mock.issuer.url,
      audience: 'lls-client',
      claims_mapping: { scope: 'scopes', client_id: 'roles' },
    });

  it('accepts its client-credentials tokens when configured, naming the client (RFC 9068 client_id)', async () => {
    const addClientId = (
      token: { payload: Record<string, unknown> },
      req: { body: { client_id?: string } },
    ) => {
      token.payload.client_id = req.body.client_id;
    };
    mock.service.on('beforeTokenSigning', addClientId);
    const auth = await startedAuthenticator(mockConfig());
    try {
      const token = await tokenFrom(mock, {
        grant_type: 'client_credentials',
        client_id: 'lls-client',
        client_secret: 'anything',
        aud: 'lls-client',
        scope: 'inference models:read',
      });
      const principal = await auth.authenticate(bearer(token));
      assert.equal(principal.id, 'lls-client');
      assert.deepEqual(principal.attributes, {
        scopes: ['inference', 'models:read'],
        roles: ['lls-client'],
      });
    } finally {
      mock.service.off('beforeTokenSigning', addClientId);
      await auth.close();
    }
  });

  it('accepts its user tokens (sub = username)', async () => {
    const auth = await startedAuthenticator(mockConfig());
    try {
      const token = await mock.issuer.buildToken({
        scopesOrTransform: (_header, payload) =>
          Object.assign(payload, { sub: 'alice', aud: 'lls-client' }),
      });
      assert.equal((await auth.authenticate(bearer(token))).id, 'alice');
    } finally {
      await auth.close();
    }
  });

  it('refuses a token that names no subject or client at all', async () => {
    const auth = await startedAuthenticator(mockConfig());
    try {
      const token = await tokenFrom(mock, { grant_type: 'client_credentials', aud: 'lls-client' });
      await rejectsWith(auth.authenticate(bearer(token)), 401, /missing required claim sub/);
    } finally {
      await auth.close();
    }
  });

  it('rejects its tokens at a gateway configured for our realm', async () => {
    const auth = await startedAuthenticator(jwtAuthConfig(ours.uri));
    try {
      const token = await tokenFrom(mock, {
        grant_type: 'client_credentials',
        client_id: 'lls-client',
        aud: 'lls-client',
      });
      await rejectsWith(auth.authenticate(bearer(token)), 401, /unknown signing key/);

      // Even when its key is (wrongly) published next to ours, the issuer check still holds.
      ours.setKeys([ourKey.publicJwk, ...mock.issuer.keys.toJSON()]);
      await auth['keys']!.refresh();
      await rejectsWith(
        auth.authenticate(bearer(token)),
        401,
        new RegExp(`wrong issuer: expected .*lls-auth, token has ${mock.issuer.url}`),
      );
    } finally {
      ours.setKeys([ourKey.publicJwk]);
      await auth.close();
    }
  });

  it('rejects our realm tokens at a gateway configured for the mock issuer', async () => {
    const auth = await startedAuthenticator(mockConfig());
    try {
      await rejectsWith(
        auth.authenticate(bearer(await mintToken(ourKey))),
        401,
        /unknown signing key/,
      );
    } finally {
      await auth.close();
    }
  });
});
