import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { GatewayError } from '../../src/errors/errors.js';
import { TokenProvider, type TokenSettings } from '../../src/client/token-provider.js';
import { startFakeTokenEndpoint, type FakeTokenEndpoint } from '../support/fake-token-endpoint.js';

const SECRET = 'errors-secret-value';

async function failure(provider: TokenProvider): Promise<GatewayError> {
  const err = await provider.getToken().then(
    () => assert.fail('expected the token request to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
  assert.ok(!err.message.includes(SECRET), 'the secret must never appear in a message');
  return err;
}

describe('token endpoint errors in plain words', () => {
  let idp: FakeTokenEndpoint;
  let settings: TokenSettings;

  before(async () => {
    idp = await startFakeTokenEndpoint({ clients: { 'lls-client': SECRET } });
    settings = {
      tokenUrl: idp.tokenUrl,
      clientId: 'lls-client',
      clientSecret: SECRET,
      clientAuth: 'client_secret_post',
      scope: undefined,
      tokenTimeoutMs: 2000,
      clientSecretFrom: 'env',
    };
  });
  after(() => idp.close());
  beforeEach(() => {
    idp.canned = undefined;
    idp.delayMs = 0;
  });

  it('wrong client secret: 502 naming the client and the variable to fix', async () => {
    const err = await failure(new TokenProvider({ ...settings, clientSecret: 'wrong' }));
    assert.equal(err.status, 502);
    assert.equal(
      err.message,
      "the identity provider rejected the client credentials for 'lls-client' " +
        '(unauthorized_client: Invalid client or Invalid client credentials) — check KEYCLOAK_CLIENT_SECRET',
    );
  });

  it('says the shipped development secret was used when the variable was unset', async () => {
    const err = await failure(
      new TokenProvider({ ...settings, clientSecret: 'wrong', clientSecretFrom: 'realm-file' }),
    );
    assert.match(
      err.message,
      /KEYCLOAK_CLIENT_SECRET \(the secret is unset, so the development secret/,
    );
  });

  it("unknown client: 502 with the provider's description", async () => {
    const err = await failure(new TokenProvider({ ...settings, clientId: 'nobody' }));
    assert.equal(err.status, 502);
    assert.match(
      err.message,
      /'nobody' \(invalid_client: Invalid client or Invalid client credentials\) — check KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET$/,
    );
  });

  it('older Keycloak "Could not find client" points at KEYCLOAK_CLIENT_ID', async () => {
    idp.canned = {
      status: 400,
      body: '{"error":"invalid_client","error_description":"Could not find client"}',
    };
    const err = await failure(new TokenProvider(settings));
    assert.equal(err.status, 502);
    assert.match(err.message, /Could not find client\) — check KEYCLOAK_CLIENT_ID$/);
  });

  it('service accounts disabled: tells what to switch on', async () => {
    idp.canned = {
      status: 401,
      body: '{"error":"unauthorized_client","error_description":"Client not enabled to retrieve service account"}',
    };
    const err = await failure(new TokenProvider(settings));
    assert.match(err.message, /enable "Service accounts roles" for client 'lls-client'/);
  });

  it('other 400 errors carry error_description', async () => {
    idp.canned = {
      status: 400,
      body: '{"error":"invalid_scope","error_description":"Invalid scopes: x"}',
    };
    const err = await failure(new TokenProvider(settings));
    assert.equal(err.status, 502);
    assert.match(
      err.message,
      /refused the token request for 'lls-client' with 400 \(invalid_scope: Invalid scopes: x\)/,
    );
  });

  it('unknown realm: points at KEYCLOAK_REALM', async () => {
    const tokenUrl = idp.tokenUrl.replace('/realms/lls-auth/', '/realms/myrealm/');
    const err = await failure(new TokenProvider({ ...settings, tokenUrl }));
    assert.equal(err.status, 502);
    assert.match(err.message, /answered 404 \(Realm does not exist\) — check KEYCLOAK_REALM/);
  });

  it('2xx without access_token, and 2xx that is not JSON: 502', async () => {
    idp.canned = { status: 200, body: '{"token_type":"Bearer"}' };
    let err = await failure(new TokenProvider(settings));
    assert.equal(err.status, 502);
    assert.match(err.message, /without an access_token/);

    idp.canned = { status: 200, body: '<html>login</html>' };
    err = await failure(new TokenProvider(settings));
    assert.match(err.message, /not JSON/);
  });

  it('identity provider answering 503: 503', async () => {
    idp.canned = { status: 503, body: 'maintenance' };
    const err = await failure(new TokenProvider(settings));
    assert.equal(err.status, 503);
    assert.match(err.message, /answered 503 to the token request \(maintenance\)/);
  });

  it('identity provider down: 503 "not reachable"', async () => {
    const closed = await unusedPort();
    const tokenUrl = `http://127.0.0.1:${closed}/realms/lls-auth/protocol/openid-connect/token`;
    const err = await failure(new TokenProvider({ ...settings, tokenUrl }));
    assert.equal(err.status, 503);
    assert.match(
      err.message,
      new RegExp(
        `^identity provider at http://127\\.0\\.0\\.1:${closed}/realms/lls-auth/protocol/openid-connect/token is not reachable \\(ECONNREFUSED\\)`,
      ),
    );
  });

  it('identity provider too slow: 504 after the configured timeout', async () => {
    idp.delayMs = 1000;
    const started = Date.now();
    const err = await failure(new TokenProvider({ ...settings, tokenTimeoutMs: 150 }));
    assert.equal(err.status, 504);
    assert.match(err.message, /did not answer within 0\.15 s/);
    assert.ok(Date.now() - started < 900, 'gave up at the timeout, not when the answer came');
  });
});

/** A port nobody listens on: bind, note it, release it. */
async function unusedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
