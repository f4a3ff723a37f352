import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { CLIENT_ID, CLIENT_SECRET, basic, decode, postForm, startTestIdp } from './support.js';
import type { TestIdp } from './support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('client_credentials tokens look like Keycloak service-account tokens', () => {
  let t: TestIdp;
  before(async () => {
    t = await startTestIdp();
  });
  after(() => t.stop());

  it('accepts the secret in the form body and answers in Keycloak shape', async () => {
    const res = await postForm(t.idp.tokenUrl, {
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const { access_token, ...rest } = res.body;
    assert.equal(typeof access_token, 'string');
    assert.deepEqual(rest, {
      expires_in: 300,
      refresh_expires_in: 0,
      token_type: 'Bearer',
      'not-before-policy': 0,
      scope: 'profile email',
    });
  });

  it('accepts the secret as HTTP Basic (form-urlencoded halves)', async () => {
    const res = await postForm(
      t.idp.tokenUrl,
      { grant_type: 'client_credentials' },
      basic(CLIENT_ID, CLIENT_SECRET),
    );
    assert.equal(res.status, 200);
    assert.equal(decode(res.body.access_token).payload.azp, CLIENT_ID);
  });

  it('carries every claim a Keycloak service-account token carries', async () => {
    const res = await postForm(t.idp.tokenUrl, {
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    const { header, payload } = decode(res.body.access_token);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.typ, 'JWT');
    assert.match(String(header.kid), /^[A-Za-z0-9_-]{43}$/);

    assert.equal(payload.iss, t.idp.issuer);
    assert.equal(t.idp.issuer, `http://localhost:${new URL(t.idp.url).port}/realms/lls-auth`);
    assert.match(String(payload.sub), UUID);
    assert.deepEqual(payload.aud, ['lls-client', 'account']);
    assert.equal(payload.azp, CLIENT_ID);
    assert.equal(payload.typ, 'Bearer');
    assert.equal(payload.scope, 'profile email');
    assert.equal(payload.preferred_username, 'service-account-lls-client');
    assert.equal(payload.client_id, CLIENT_ID);
    assert.equal(payload.email_verified, false);
    assert.deepEqual((payload.realm_access as { roles: string[] }).roles.sort(), [
      'default-roles-lls-auth',
      'lls-user',
      'offline_access',
      'uma_authorization',
    ]);
    assert.deepEqual(payload.resource_access, {
      account: { roles: ['manage-account', 'manage-account-links', 'view-profile'] },
      'lls-client': { roles: ['inference'] },
    });
    assert.equal(payload.exp! - payload.iat!, 300);
    assert.match(String(payload.jti), UUID);
    assert.equal(payload.sid, undefined, 'service-account sessions are transient');
    assert.equal(payload.nbf, undefined, 'Keycloak emits no nbf');
  });

  it('gives the service account the same sub on every request', async () => {
    const form = {
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    };
    const a = decode((await postForm(t.idp.tokenUrl, form)).body.access_token).payload;
    const b = decode((await postForm(t.idp.tokenUrl, form)).body.access_token).payload;
    assert.equal(a.sub, b.sub);
    assert.notEqual(a.jti, b.jti);
  });

  it('verifies through openid-client discovery and jose with issuer and audience pinned', async () => {
    const config = await oidc.discovery(
      new URL(t.idp.issuer),
      CLIENT_ID,
      undefined,
      oidc.ClientSecretBasic(CLIENT_SECRET),
      { execute: [oidc.allowInsecureRequests] },
    );
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, t.idp.issuer);

    const tokens = await oidc.clientCredentialsGrant(config);
    assert.equal(tokens.token_type, 'bearer');
    // expiresIn() counts down from receipt in whole seconds, so a second boundary may pass.
    assert.ok(tokens.expiresIn()! >= 298 && tokens.expiresIn()! <= 300);

    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri!));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: t.idp.issuer,
      audience: 'lls-client',
      algorithms: ['RS256'],
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    assert.equal(payload.typ, 'Bearer');
    assert.equal(protectedHeader.typ, 'JWT');

    await assert.rejects(
      jwtVerify(tokens.access_token, jwks, {
        issuer: 'http://127.0.0.1/realms/other',
        audience: 'lls-client',
      }),
      { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'iss' },
    );
    await assert.rejects(
      jwtVerify(tokens.access_token, jwks, { issuer: t.idp.issuer, audience: 'someone-else' }),
      {
        claim: 'aud',
      },
    );
  });

  it('uses the configured issuer URL instead of the listening address', async () => {
    const other = await startTestIdp({ issuerBaseUrl: 'http://idp.example.test:8080/' });
    try {
      assert.equal(other.idp.issuer, 'http://idp.example.test:8080/realms/lls-auth');
      const res = await postForm(other.idp.tokenUrl, {
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      });
      assert.equal(
        decode(res.body.access_token).payload.iss,
        'http://idp.example.test:8080/realms/lls-auth',
      );
      const discovery = (await (
        await fetch(`${other.realmUrl}/.well-known/openid-configuration`)
      ).json()) as any;
      assert.equal(discovery.issuer, 'http://idp.example.test:8080/realms/lls-auth');
    } finally {
      await other.stop();
    }
  });
});
