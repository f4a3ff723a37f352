import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import {
  ALICE,
  CLIENT_ID,
  CLIENT_SECRET,
  basic,
  postForm,
  startTestIdp,
  tempDir,
  writeRealm,
} from './support.js';
import type { TestIdp } from './support.js';

const INVALID_CLIENT = 'Invalid client or Invalid client credentials';

describe('token endpoint errors use Keycloak codes, statuses and descriptions', () => {
  let t: TestIdp;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir();
    const realmFile = await writeRealm(dir.dir, (realm) => {
      realm.clients.push(
        {
          clientId: 'batch-job',
          secret: 'batch-secret',
          serviceAccountsEnabled: false,
          standardFlowEnabled: false,
        },
        { clientId: 'web-app', publicClient: true, redirectUris: ['http://127.0.0.1:9/cb'] },
      );
      realm.users.push({
        username: 'bob',
        enabled: false,
        email: 'b@x.test',
        firstName: 'B',
        lastName: 'X',
        credentials: [{ type: 'password', value: 'bob-pw' }],
      });
      realm.users.push({
        username: 'carol',
        credentials: [{ type: 'password', value: 'carol-pw' }],
      });
    });
    t = await startTestIdp({ realmFile });
  });
  after(async () => {
    await t.stop();
    await dir.cleanup();
  });

  const cc = (extra: Record<string, string>, headers?: Record<string, string>) =>
    postForm(t.idp.tokenUrl, { grant_type: 'client_credentials', ...extra }, headers);

  it('wrong secret: 401 unauthorized_client (form and Basic)', async () => {
    for (const res of [
      await cc({ client_id: CLIENT_ID, client_secret: 'wrong' }),
      await cc({}, basic(CLIENT_ID, 'wrong')),
      await cc({ client_id: CLIENT_ID }),
    ]) {
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, {
        error: 'unauthorized_client',
        error_description: INVALID_CLIENT,
      });
    }
  });

  it('a 401 to a client that tried HTTP Basic names the Basic scheme; form credentials get none', async () => {
    for (const res of [
      await cc({}, basic(CLIENT_ID, 'wrong')),
      await cc({}, basic('no-such-client', 'x')),
    ]) {
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="lls-auth"');
    }
    const form = await cc({ client_id: CLIENT_ID, client_secret: 'wrong' });
    assert.equal(form.headers.get('www-authenticate'), null);
    const introspect = await postForm(
      `${t.idp.tokenUrl}/introspect`,
      { token: 'x' },
      basic(CLIENT_ID, 'wrong'),
    );
    assert.equal(introspect.status, 401);
    assert.equal(introspect.headers.get('www-authenticate'), 'Basic realm="lls-auth"');
  });

  it('unknown client: 401 invalid_client', async () => {
    const res = await cc({ client_id: 'ghost', client_secret: 'x' });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { error: 'invalid_client', error_description: INVALID_CLIENT });
  });

  it('missing client_id: 400 invalid_client', async () => {
    const res = await cc({});
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      error: 'invalid_client',
      error_description: 'Missing client_id parameter',
    });
  });

  it('client without service accounts: 401 unauthorized_client', async () => {
    const res = await cc({ client_id: 'batch-job', client_secret: 'batch-secret' });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, {
      error: 'unauthorized_client',
      error_description: 'Client not enabled to retrieve service account',
    });
  });

  it('public client asking for a service account: 401 unauthorized_client', async () => {
    const res = await cc({ client_id: 'web-app' });
    assert.equal(res.status, 401);
    assert.equal(
      res.body.error_description,
      'Public client not allowed to retrieve service account',
    );
  });

  it('password grant: bad password or unknown user is 401 invalid_grant', async () => {
    for (const [username, password] of [
      [ALICE.username, 'not-it'],
      ['nobody', 'x'],
      ['service-account-lls-client', 'x'],
    ]) {
      const res = await postForm(t.idp.tokenUrl, {
        grant_type: 'password',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        username: username!,
        password: password!,
      });
      assert.equal(res.status, 401, username);
      assert.deepEqual(res.body, {
        error: 'invalid_grant',
        error_description: 'Invalid user credentials',
      });
    }
  });

  it('password grant: disabled user, incomplete profile, direct grants off', async () => {
    const pw = (client: Record<string, string>, username: string, password: string) =>
      postForm(t.idp.tokenUrl, { grant_type: 'password', ...client, username, password });
    const lls = { client_id: CLIENT_ID, client_secret: CLIENT_SECRET };

    const disabled = await pw(lls, 'bob', 'bob-pw');
    assert.equal(disabled.status, 400);
    assert.deepEqual(disabled.body, {
      error: 'invalid_grant',
      error_description: 'Account disabled',
    });

    const incomplete = await pw(lls, 'carol', 'carol-pw');
    assert.equal(incomplete.status, 400);
    assert.equal(incomplete.body.error_description, 'Account is not fully set up');

    const noDirect = await pw(
      { client_id: 'batch-job', client_secret: 'batch-secret' },
      ALICE.username,
      ALICE.password,
    );
    assert.equal(noDirect.status, 400);
    assert.deepEqual(noDirect.body, {
      error: 'unauthorized_client',
      error_description: 'Client not allowed for direct access grants',
    });
  });

  it('unsupported or missing grant_type: 400', async () => {
    const res = await postForm(t.idp.tokenUrl, {
      grant_type: 'urn:made:up',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      error: 'unsupported_grant_type',
      error_description: 'Unsupported grant_type',
    });
    const missing = await postForm(t.idp.tokenUrl, { client_id: CLIENT_ID });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_request');
  });

  it('unknown scope: 400 invalid_scope; non-form body: 400', async () => {
    const res = await cc({
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      scope: 'profile make-me-admin',
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_scope');
    const json = await fetch(t.idp.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as any).error, 'invalid_request');
  });

  it('openid-client surfaces a wrong secret as a 401 with the Keycloak description', async () => {
    const config = await oidc.discovery(new URL(t.idp.issuer), CLIENT_ID, 'wrong', undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    await assert.rejects(oidc.clientCredentialsGrant(config), (err: any) => {
      assert.equal(err.status, 401);
      assert.equal(err.error, 'unauthorized_client');
      assert.equal(err.error_description, INVALID_CLIENT);
      return true;
    });
  });
});
