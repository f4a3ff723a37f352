import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import {
  ALICE,
  CLIENT_ID,
  CLIENT_SECRET,
  basic,
  clientCredentialsToken,
  decode,
  postForm,
  startTestIdp,
} from './support.js';
import type { TestIdp } from './support.js';

describe('introspection and userinfo answer like Keycloak', () => {
  let t: TestIdp;
  let introspectUrl: string;
  let userinfoUrl: string;
  before(async () => {
    t = await startTestIdp();
    introspectUrl = `${t.realmUrl}/protocol/openid-connect/token/introspect`;
    userinfoUrl = `${t.realmUrl}/protocol/openid-connect/userinfo`;
  });
  after(() => t.stop());

  it('reports an active token with its claims, client_id, username and token_type', async () => {
    const token = await clientCredentialsToken(t.idp);
    const res = await postForm(introspectUrl, { token }, basic(CLIENT_ID, CLIENT_SECRET));
    assert.equal(res.status, 200);
    const claims = decode(token).payload;
    assert.equal(res.body.active, true);
    assert.equal(res.body.client_id, CLIENT_ID);
    assert.equal(res.body.username, 'service-account-lls-client');
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.sub, claims.sub);
    assert.equal(res.body.exp, claims.exp);
    assert.deepEqual(res.body.aud, claims.aud);
  });

  it('works through openid-client tokenIntrospection', async () => {
    const config = await oidc.discovery(
      new URL(t.idp.issuer),
      CLIENT_ID,
      CLIENT_SECRET,
      undefined,
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    const result = await oidc.tokenIntrospection(config, await clientCredentialsToken(t.idp));
    assert.equal(result.active, true);
    assert.equal(result.client_id, CLIENT_ID);
  });

  it('reports garbage, tampered and badly signed tokens as inactive', async () => {
    const token = await clientCredentialsToken(t.idp);
    const [h, p, s] = token.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...decode(token).payload, sub: 'x' })).toString('base64url')}.${s}`;
    for (const candidate of ['not-a-token', tampered, `${h}.${p}.AAAA`]) {
      const res = await postForm(
        introspectUrl,
        { token: candidate },
        basic(CLIENT_ID, CLIENT_SECRET),
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { active: false });
    }
  });

  it('requires an authenticated confidential client and a token', async () => {
    const token = await clientCredentialsToken(t.idp);
    const anonymous = await postForm(introspectUrl, { token });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(anonymous.body, {
      error: 'invalid_request',
      error_description: 'Authentication failed.',
    });

    const wrong = await postForm(introspectUrl, { token }, basic(CLIENT_ID, 'wrong'));
    assert.equal(wrong.status, 401);

    const missing = await postForm(introspectUrl, {}, basic(CLIENT_ID, CLIENT_SECRET));
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error_description, 'Token not provided.');
  });

  it('serves userinfo for a user bearer token and refuses anything else', async () => {
    const login = await postForm(t.idp.tokenUrl, {
      grant_type: 'password',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      username: ALICE.username,
      password: ALICE.password,
      scope: 'openid',
    });
    const ok = await fetch(userinfoUrl, {
      headers: { authorization: `Bearer ${login.body.access_token}` },
    });
    assert.equal(ok.status, 200);
    const info = (await ok.json()) as any;
    assert.equal(info.sub, decode(login.body.access_token).payload.sub);
    assert.equal(info.preferred_username, 'alice');
    assert.equal(info.email, 'alice@example.test');

    const idToken = await fetch(userinfoUrl, {
      headers: { authorization: `Bearer ${login.body.id_token}` },
    });
    assert.equal(idToken.status, 401, 'an ID token is not a bearer token');
    const none = await fetch(userinfoUrl);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer realm="lls-auth"/);
    assert.equal(((await none.json()) as any).error, 'invalid_token');
  });
});
