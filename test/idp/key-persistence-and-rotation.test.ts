import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify } from 'jose';
import { ConfigError } from '../../src/errors/errors.js';
import { rotateKeys } from '../../src/idp/index.js';
import { clientCredentialsToken, decode, startTestIdp, tempDir } from './support.js';

async function fetchJwks(url: string) {
  return (await (await fetch(url)).json()) as { keys: Array<{ kid: string; use: string }> };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('signing keys persist across restarts and rotate while running', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.cleanup());

  it('keeps keys in a 0600 file so a token minted before a restart verifies after it', async () => {
    const first = await startTestIdp({ dataDir: dir.dir });
    const token = await clientCredentialsToken(first.idp);
    const issuerBase = first.idp.issuer.replace(/\/realms\/.*$/, '');
    await first.idp.close();

    const info = await stat(join(dir.dir, 'keys.json'));
    assert.equal(info.mode & 0o777, 0o600);

    // Same issuer on purpose: a restart on another port must not change who signed the token.
    const second = await startTestIdp({ dataDir: dir.dir, issuerBaseUrl: issuerBase });
    try {
      const jwks = createRemoteJWKSet(new URL(second.idp.jwksUri));
      const { payload } = await jwtVerify(token, jwks, {
        issuer: second.idp.issuer,
        audience: 'lls-client',
      });
      assert.equal(payload.azp, 'lls-client');
      const again = await clientCredentialsToken(second.idp);
      assert.equal(decode(again).header.kid, decode(token).header.kid);
    } finally {
      await second.idp.close();
    }
  });

  it('rotateKeys() on the running IdP: new tokens get the new kid, old ones still verify', async () => {
    const t = await startTestIdp();
    try {
      const old = await clientCredentialsToken(t.idp);
      const oldKid = decode(old).header.kid;
      const newKid = await t.idp.rotateKeys();
      assert.notEqual(newKid, oldKid);

      const fresh = await clientCredentialsToken(t.idp);
      assert.equal(decode(fresh).header.kid, newKid);

      const jwks = await fetchJwks(t.idp.jwksUri);
      const sigKids = jwks.keys.filter((k) => k.use === 'sig').map((k) => k.kid);
      assert.deepEqual(sigKids, [newKid, oldKid]);
      assert.equal(jwks.keys[0]!.use, 'enc');
      const local = createLocalJWKSet(jwks as never);
      for (const token of [old, fresh]) {
        await jwtVerify(token, local, { issuer: t.idp.issuer, audience: 'lls-client' });
      }
    } finally {
      await t.stop();
    }
  });

  it('picks up a rotation made by another process (llamagate idp rotate-keys) while running', async () => {
    const t = await startTestIdp();
    try {
      const old = await clientCredentialsToken(t.idp);
      const newKid = await rotateKeys(t.dataDir);
      const fresh = await waitFor(async () => {
        const token = await clientCredentialsToken(t.idp);
        return decode(token).header.kid === newKid ? token : undefined;
      });
      const jwks = createLocalJWKSet((await fetchJwks(t.idp.jwksUri)) as never);
      await jwtVerify(old, jwks, { issuer: t.idp.issuer });
      await jwtVerify(fresh, jwks, { issuer: t.idp.issuer });

      // The browser flow's provider was rebuilt with the new key too.
      const discovery = await fetch(`${t.realmUrl}/.well-known/openid-configuration`);
      assert.equal(discovery.status, 200);
    } finally {
      await t.stop();
    }
  });

  it('rotate-keys in a directory no IdP uses is refused, and creates no key store there', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await assert.rejects(rotateKeys(dir), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /^no IdP key store in .* \(keys\.json\); pass the --data-dir/);
        return true;
      });
      await assert.rejects(stat(join(dir, 'keys.json')), { code: 'ENOENT' });
    } finally {
      await cleanup();
    }
  });
});
