import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPublicKey } from 'node:crypto';
import { clientCredentialsToken, decode, startTestIdp } from './support.js';
import type { TestIdp } from './support.js';

describe('discovery, JWKS and realm URLs sit where Keycloak has them', () => {
  let t: TestIdp;
  before(async () => {
    t = await startTestIdp();
  });
  after(() => t.stop());

  it('serves the discovery document under the realm with Keycloak endpoint paths', async () => {
    const res = await fetch(`${t.realmUrl}/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as any;
    const base = t.realmUrl;
    assert.equal(doc.issuer, t.idp.issuer);
    assert.equal(doc.token_endpoint, `${base}/protocol/openid-connect/token`);
    assert.equal(doc.token_endpoint, t.idp.tokenUrl);
    assert.equal(doc.jwks_uri, `${base}/protocol/openid-connect/certs`);
    assert.equal(doc.jwks_uri, t.idp.jwksUri);
    assert.equal(doc.introspection_endpoint, `${base}/protocol/openid-connect/token/introspect`);
    assert.equal(doc.userinfo_endpoint, `${base}/protocol/openid-connect/userinfo`);
    assert.equal(doc.authorization_endpoint, `${base}/protocol/openid-connect/auth`);
    assert.equal(doc.end_session_endpoint, `${base}/protocol/openid-connect/logout`);
    for (const grant of ['client_credentials', 'password', 'authorization_code', 'refresh_token']) {
      assert.ok(doc.grant_types_supported.includes(grant), grant);
    }
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
    assert.ok(doc.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
    assert.ok(doc.token_endpoint_auth_methods_supported.includes('client_secret_post'));
    assert.ok(doc.id_token_signing_alg_values_supported.includes('RS256'));
    assert.ok(doc.scopes_supported.includes('openid'));
  });

  it('publishes an RSA-OAEP enc key first and the RS256 signing key that signs tokens', async () => {
    const res = await fetch(t.idp.jwksUri);
    assert.equal(res.status, 200);
    const { keys } = (await res.json()) as any;
    assert.equal(keys.length, 2);
    assert.equal(keys[0].use, 'enc');
    assert.equal(keys[0].alg, 'RSA-OAEP');
    assert.equal(keys[1].use, 'sig');
    assert.equal(keys[1].alg, 'RS256');
    for (const key of keys) {
      assert.equal(key.kty, 'RSA');
      assert.match(key.kid, /^[A-Za-z0-9_-]{43}$/);
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[secret], undefined);
    }
    const kid = decode(await clientCredentialsToken(t.idp)).header.kid;
    assert.equal(kid, keys[1].kid);
  });

  it('serves the realm public info at the bare realm URL', async () => {
    const res = await fetch(t.realmUrl);
    assert.equal(res.status, 200);
    const info = (await res.json()) as any;
    assert.equal(info.realm, 'lls-auth');
    assert.equal(info['token-service'], `${t.idp.issuer}/protocol/openid-connect`);
    const { keys } = (await (await fetch(t.idp.jwksUri)).json()) as any;
    const fromInfo = createPublicKey({
      key: Buffer.from(info.public_key, 'base64'),
      format: 'der',
      type: 'spki',
    });
    assert.equal(fromInfo.export({ format: 'jwk' }).n, keys[1].n);
  });

  it('answers an unknown realm with Keycloak 404 body', async () => {
    const res = await fetch(`${t.idp.url}/realms/nope/.well-known/openid-configuration`);
    assert.equal(res.status, 404);
    assert.deepEqual((await res.json()) as any, { error: 'Realm does not exist' });
    const token = await fetch(`${t.idp.url}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
    });
    assert.equal(token.status, 404);
  });

  it('paths are case-sensitive: /TOKEN or /CERTS is a JSON 404, not a second token endpoint', async () => {
    const endpoints = `${t.realmUrl}/protocol/openid-connect`;
    const form = {
      grant_type: 'client_credentials',
      client_id: 'lls-client',
      client_secret: 'lls-client-dev-secret',
    };
    for (const [path, init] of [
      ['/TOKEN', { method: 'POST', body: new URLSearchParams(form) }],
      ['/CERTS', {}],
      ['/USERINFO', {}],
      ['/revoke', { method: 'POST' }],
    ] as const) {
      const res = await fetch(`${endpoints}${path}`, init);
      assert.equal(res.status, 404, path);
      assert.deepEqual(await res.json(), {
        error: 'Unable to find matching target resource method',
      });
      assert.equal(res.headers.get('access-control-allow-origin'), null, path);
    }
    const doubled = await fetch(`${t.idp.url}/realms/lls-auth//protocol/openid-connect/auth`);
    assert.equal(doubled.status, 404);
    assert.match(doubled.headers.get('content-type') ?? '', /json/);
  });

  it('a wrong method on a path oidc-provider answers is a JSON 405 naming the allowed ones', async () => {
    for (const [path, method, allow] of [
      ['/.well-known/openid-configuration', 'POST', 'GET'],
      ['/protocol/openid-connect/logout/confirm', 'GET', 'POST'],
      ['/protocol/openid-connect/auth', 'DELETE', 'GET'],
    ] as const) {
      const res = await fetch(`${t.realmUrl}${path}`, { method });
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.headers.get('allow'), allow);
      assert.equal(((await res.json()) as { error: string }).error, 'invalid_request');
    }
  });

  it('rejects wrong methods on its own endpoints and reports health', async () => {
    const res = await fetch(t.idp.tokenUrl);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    const health = await fetch(`${t.idp.url}/health/ready`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as any).status, 'UP');
  });
});
