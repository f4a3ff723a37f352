import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/errors/errors.js';
import { DEFAULT_REALM_FILE, startIdp } from '../../src/idp/index.js';
import { loadRealmFile } from '../../src/idp/realm/load.js';
import { silentLogger } from '../../src/logging/logger.js';
import { tempDir, writeRealm } from './support.js';

describe('realm files are validated at start with file and JSON path in the message', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.cleanup());

  async function expectError(edit: (realm: any) => void, ...patterns: RegExp[]) {
    const file = await writeRealm(dir.dir, edit);
    await assert.rejects(loadRealmFile(file), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.ok(err.message.includes(file), err.message);
      for (const pattern of patterns) assert.match(err.message, pattern);
      return true;
    });
  }

  it('loads the shipped realm with the documented client, user and roles', async () => {
    const realm = await loadRealmFile(DEFAULT_REALM_FILE);
    assert.equal(realm.name, 'lls-auth');
    const client = realm.clients.get('lls-client')!;
    assert.equal(client.serviceAccountsEnabled, true);
    assert.equal(client.directAccessGrantsEnabled, true);
    assert.equal(client.standardFlowEnabled, true);
    assert.deepEqual(client.audiences, ['lls-client']);
    assert.equal(client.accessTokenLifespan, 300);
    const alice = realm.users.get('alice')!;
    assert.equal(alice.firstName, 'Alice');
    assert.ok(alice.realmRoles.includes('lls-user'));
    assert.equal(realm.serviceAccounts.get('lls-client')!.username, 'service-account-lls-client');
  });

  it('names the JSON path of a wrong type', async () => {
    await expectError((r) => {
      r.clients[0].secret = 42;
    }, /clients\[0\]\.secret/);
    await expectError((r) => {
      r.accessTokenLifespan = -5;
    }, /accessTokenLifespan/);
    await expectError((r) => {
      r.users[1].credentials = 'alice';
    }, /users\[1\]\.credentials/);
  });

  it('catches references Keycloak would refuse on import', async () => {
    await expectError((r) => {
      r.users[1].realmRoles.push('lls-superuser');
    }, /users\[1\]\.realmRoles\[2\].*lls-superuser/);
    await expectError((r) => {
      r.users[1].clientRoles = { 'lls-client': ['root'] };
    }, /users\[1\]\.clientRoles\["lls-client"\]\[0\].*root/);
    await expectError((r) => {
      r.users[0].serviceAccountClientId = 'ghost';
    }, /users\[0\]\.serviceAccountClientId/);
    await expectError((r) => {
      delete r.clients[0].secret;
    }, /clients\[0\]\.secret.*needs a secret/);
    await expectError((r) => {
      r.clients[0].attributes['access.token.lifespan'] = 'soon';
    }, /clients\[0\]\.attributes\["access\.token\.lifespan"\]/);
    await expectError((r) => {
      r.clients.push({ ...r.clients[0] });
    }, /clients\[1\]\.clientId.*duplicate/);
  });

  it('reports a missing file and broken JSON clearly', async () => {
    const missing = join(dir.dir, 'nope.json');
    await assert.rejects(loadRealmFile(missing), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /cannot read realm file .*nope\.json \(ENOENT\)/);
      return true;
    });
    const broken = join(dir.dir, 'broken.json');
    await writeFile(broken, '{"realm": "x",');
    await assert.rejects(loadRealmFile(broken), /broken\.json is not valid JSON/);
  });

  it('startIdp fails with the ConfigError before opening a port', async () => {
    const file = await writeRealm(dir.dir, (r) => {
      r.realm = 'has spaces';
    });
    await assert.rejects(
      startIdp({ port: 0, realmFile: file, dataDir: join(dir.dir, 'data'), log: silentLogger() }),
      (err: Error) => err instanceof ConfigError && /realm/.test(err.message),
    );
  });

  it('accepts unknown Keycloak fields and derives the service account when not listed', async () => {
    const file = await writeRealm(dir.dir, (r) => {
      r.users = r.users.filter((u: any) => !u.serviceAccountClientId);
      r.clients[0].frontchannelLogout = true;
      r.smtpServer = {};
    });
    const realm = await loadRealmFile(file);
    const sa = realm.serviceAccounts.get('lls-client')!;
    assert.equal(sa.username, 'service-account-lls-client');
    assert.ok(sa.realmRoles.includes('default-roles-lls-auth'));
    assert.deepEqual(sa.clientRoles.account, [
      'manage-account',
      'manage-account-links',
      'view-profile',
    ]);
  });
});
