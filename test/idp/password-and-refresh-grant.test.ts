import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { ALICE, CLIENT_ID, CLIENT_SECRET, decode, postForm, startTestIdp } from './support.js';
import type { TestIdp } from './support.js';

describe('password grant for realm users, and refresh', () => {
  let t: TestIdp;
  before(async () => {
    t = await startTestIdp();
  });
  after(() => t.stop());

  const login = (extra: Record<string, string> = {}) =>
    postForm(t.idp.tokenUrl, {
      grant_type: 'password',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      username: ALICE.username,
      password: ALICE.password,
      ...extra,
    });

  it('issues access, refresh and ID tokens for alice in Keycloak shape', async () => {
    const res = await login({ scope: 'openid' });
    assert.equal(res.status, 200);
    const body = res.body;
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'id_token',
      'not-before-policy',
      'refresh_expires_in',
      'refresh_token',
      'scope',
      'session_state',
      'token_type',
    ]);
    assert.equal(body.scope, 'openid profile email');
    assert.equal(body.refresh_expires_in, 1800);

    const jwks = createRemoteJWKSet(new URL(t.idp.jwksUri));
    const { payload } = await jwtVerify(body.access_token, jwks, {
      issuer: t.idp.issuer,
      audience: 'lls-client',
    });
    assert.equal(payload.preferred_username, 'alice');
    assert.equal(payload.given_name, 'Alice');
    assert.equal(payload.family_name, 'Example');
    assert.equal(payload.name, 'Alice Example');
    assert.equal(payload.email, 'alice@example.test');
    assert.equal(payload.email_verified, true);
    assert.equal(payload.sid, body.session_state);
    assert.equal(payload.client_id, undefined);
    assert.ok((payload.realm_access as { roles: string[] }).roles.includes('lls-user'));

    const refresh = decode(body.refresh_token);
    assert.equal(refresh.header.alg, 'HS512');
    assert.equal(refresh.payload.typ, 'Refresh');
    assert.equal(refresh.payload.aud, t.idp.issuer);
    await assert.rejects(
      jwtVerify(body.refresh_token, jwks),
      'refresh tokens never verify with the JWKS',
    );

    const id = await jwtVerify(body.id_token, jwks, { issuer: t.idp.issuer, audience: CLIENT_ID });
    assert.equal(id.payload.typ, 'ID');
    assert.equal(id.payload.sub, payload.sub);
  });

  it('gives alice the same sub on every login; the username is case-insensitive', async () => {
    const a = decode((await login()).body.access_token).payload;
    const b = decode((await login({ username: 'ALICE' })).body.access_token).payload;
    assert.equal(a.sub, b.sub);
    assert.notEqual(a.sid, b.sid);
    assert.equal(a.scope, 'profile email');
  });

  it('refreshes within the same session and rejects foreign or forged refresh tokens', async () => {
    const first = (await login()).body;
    const res = await postForm(t.idp.tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    assert.equal(res.status, 200);
    const before = decode(first.access_token).payload;
    const after = decode(res.body.access_token).payload;
    assert.equal(after.sub, before.sub);
    assert.equal(after.sid, before.sid);
    assert.notEqual(res.body.refresh_token, first.refresh_token);

    const forged = await postForm(t.idp.tokenUrl, {
      grant_type: 'refresh_token',
      refresh_token: first.access_token,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    assert.equal(forged.status, 400);
    assert.deepEqual(forged.body, {
      error: 'invalid_grant',
      error_description: 'Invalid refresh token',
    });
  });
});
