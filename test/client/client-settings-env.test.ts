import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadClientSettings, resolveClientSettings } from '../../src/client/settings.js';
import { ConfigError } from '../../src/errors/errors.js';

describe('client settings from the environment and .env', () => {
  let dir: string;
  let empty: string;
  let realmFile: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'llamagate-settings-'));
    empty = join(dir, 'empty');
    realmFile = join(dir, 'realm.json');
    writeFileSync(
      realmFile,
      JSON.stringify({
        realm: 'lls-auth',
        clients: [{ clientId: 'lls-client', secret: 'from-realm' }],
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('applies the documented defaults (realm lls-auth, Llama Stack on 8321, legacy endpoint)', () => {
    const s = resolveClientSettings({ KEYCLOAK_CLIENT_SECRET: 's' }, { cwd: empty });
    assert.equal(s.keycloakBaseUrl, 'http://localhost:8080');
    assert.equal(s.keycloakRealm, 'lls-auth');
    assert.equal(s.clientId, 'lls-client');
    assert.equal(s.tokenUrl, 'http://localhost:8080/realms/lls-auth/protocol/openid-connect/token');
    assert.equal(s.llsBaseUrl, 'http://localhost:8321');
    assert.equal(s.chatEndpoint, '/v1/inference/chat-completion');
    assert.equal(s.model, 'llama3.2:3b');
    assert.equal(s.host, '127.0.0.1');
    assert.equal(s.port, 8000);
    assert.equal(s.debug, false);
    assert.equal(s.clientAuth, 'client_secret_post');
    assert.equal(s.tokenTimeoutMs, 10_000);
    assert.equal(s.upstreamTimeoutMs, 120_000);
  });

  it('reads .env from the given directory; the process environment wins', () => {
    const cwd = mkdtempSync(join(dir, 'dotenv-'));
    writeFileSync(
      join(cwd, '.env'),
      [
        'KEYCLOAK_BASE_URL=http://kc.example:8080/',
        'KEYCLOAK_REALM=from-file',
        'KEYCLOAK_CLIENT_SECRET="file secret"',
        'LLS_CHAT_ENDPOINT=/v1/chat/completions',
        'DEBUG=true',
        'LLS_TIMEOUT_SECONDS=0.5',
      ].join('\n'),
    );
    const s = loadClientSettings({ KEYCLOAK_REALM: 'from-env', UNRELATED: 'x' }, cwd);
    assert.equal(s.keycloakRealm, 'from-env');
    assert.equal(s.keycloakBaseUrl, 'http://kc.example:8080');
    assert.equal(
      s.tokenUrl,
      'http://kc.example:8080/realms/from-env/protocol/openid-connect/token',
    );
    assert.equal(s.clientSecret, 'file secret');
    assert.equal(s.clientSecretFrom, 'env');
    assert.equal(s.chatEndpoint, '/v1/chat/completions');
    assert.equal(s.debug, true);
    assert.equal(s.upstreamTimeoutMs, 500);
  });

  it('an empty variable in the environment still beats .env, then counts as unset', () => {
    const cwd = mkdtempSync(join(dir, 'dotenv-'));
    writeFileSync(join(cwd, '.env'), 'KEYCLOAK_REALM=from-file\nKEYCLOAK_CLIENT_SECRET=s\n');
    const s = loadClientSettings({ KEYCLOAK_REALM: '' }, cwd);
    assert.equal(s.keycloakRealm, 'lls-auth');
  });

  it('an explicit --env-file must exist', () => {
    assert.throws(
      () => resolveClientSettings({}, { envFile: join(dir, 'missing.env') }),
      (err: unknown) =>
        err instanceof ConfigError && /missing\.env does not exist/.test(err.message),
    );
  });

  it('KEYCLOAK_TOKEN_URL overrides the derived token URL', () => {
    const s = resolveClientSettings(
      { KEYCLOAK_CLIENT_SECRET: 's', KEYCLOAK_TOKEN_URL: 'https://sso.example/oauth/token' },
      { cwd: empty },
    );
    assert.equal(s.tokenUrl, 'https://sso.example/oauth/token');
  });

  it('code overrides win and re-derive the token URL', () => {
    const s = resolveClientSettings(
      { KEYCLOAK_CLIENT_SECRET: 's', KEYCLOAK_BASE_URL: 'http://a:1' },
      { cwd: empty, overrides: { keycloakBaseUrl: 'http://b:2', port: 0 } },
    );
    assert.equal(s.tokenUrl, 'http://b:2/realms/lls-auth/protocol/openid-connect/token');
    assert.equal(s.port, 0);
  });

  it('falls back to the realm file secret when KEYCLOAK_CLIENT_SECRET is unset', () => {
    const s = resolveClientSettings({}, { cwd: empty, realmFile });
    assert.equal(s.clientSecret, 'from-realm');
    assert.equal(s.clientSecretFrom, 'realm-file');
  });

  it('no secret anywhere: ConfigError naming KEYCLOAK_CLIENT_SECRET', () => {
    assert.throws(
      () => resolveClientSettings({ KEYCLOAK_CLIENT_ID: 'other' }, { cwd: empty, realmFile }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.startsWith('KEYCLOAK_CLIENT_SECRET is not set') &&
        err.message.includes("client 'other'"),
    );
  });

  const bad: Array<[string, string, RegExp]> = [
    ['KEYCLOAK_BASE_URL', 'localhost:8080', /^KEYCLOAK_BASE_URL must be an absolute http/],
    ['LLS_BASE_URL', 'ftp://x', /^LLS_BASE_URL must be an absolute http/],
    [
      'LLS_CHAT_ENDPOINT',
      'v1/chat/completions',
      /^LLS_CHAT_ENDPOINT must be a path starting with \//,
    ],
    ['CLIENT_PORT', '80000', /^CLIENT_PORT must be a port number/],
    ['CLIENT_PORT', 'abc', /\(got 'abc'\)$/],
    ['DEBUG', 'maybe', /^DEBUG must be true or false/],
    ['LLS_TIMEOUT_SECONDS', '-1', /^LLS_TIMEOUT_SECONDS must be a positive number/],
    [
      'KEYCLOAK_CLIENT_AUTH',
      'jwt',
      /^KEYCLOAK_CLIENT_AUTH must be client_secret_post or client_secret_basic/,
    ],
    ['KEYCLOAK_REALM', 'a/b', /^KEYCLOAK_REALM must be a realm name/],
  ];
  for (const [name, value, expected] of bad) {
    it(`${name}=${value} is a ConfigError naming the variable`, () => {
      assert.throws(
        () => resolveClientSettings({ KEYCLOAK_CLIENT_SECRET: 's', [name]: value }, { cwd: empty }),
        (err: unknown) => err instanceof ConfigError && expected.test(err.message),
      );
    });
  }
});
