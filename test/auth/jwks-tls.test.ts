import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import { generateTestKey, mintToken } from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';
import { bearer, jwtAuthConfig, rejectsWith, startedAuthenticator } from './fixtures.js';

function haveOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const skip = haveOpenssl() ? false : 'openssl is not installed (needed to make a test certificate)';

describe('JWKS over TLS', { skip }, () => {
  let dir: string;
  let idp: JwksServer;
  let key: TestKey;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llamagate-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    key = await generateTestKey('ES256');
    idp = await startJwksServer([key.publicJwk], {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    });
  });
  after(async () => {
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an untrusted certificate by default (503, not 401)', async () => {
    const auth = await startedAuthenticator(jwtAuthConfig(idp.uri));
    try {
      await rejectsWith(
        auth.authenticate(bearer(await mintToken(key))),
        503,
        /cannot load signing keys/,
      );
    } finally {
      await auth.close();
    }
  });

  it('trusts the certificate given in tls_cafile', async () => {
    const auth = await startedAuthenticator(
      jwtAuthConfig(idp.uri, { tls_cafile: join(dir, 'cert.pem') }),
    );
    try {
      assert.ok(await auth.authenticate(bearer(await mintToken(key))));
    } finally {
      await auth.close();
    }
  });

  it('skips verification with verify_tls: false', async () => {
    const auth = await startedAuthenticator(jwtAuthConfig(idp.uri, { verify_tls: false }));
    try {
      assert.ok(await auth.authenticate(bearer(await mintToken(key))));
    } finally {
      await auth.close();
    }
  });

  it('fails at start-up for an unreadable tls_cafile', async () => {
    await assert.rejects(
      startedAuthenticator(jwtAuthConfig(idp.uri, { tls_cafile: join(dir, 'missing.pem') })),
      /tls_cafile: cannot read/,
    );
  });
});
