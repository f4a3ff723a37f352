import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTokenCommand } from '../../src/cli/commands/token.js';
import type { CommandIo } from '../../src/client/command-io.js';
import { startFakeTokenEndpoint, type FakeTokenEndpoint } from '../support/fake-token-endpoint.js';

const SECRET = 'cli-secret';

function captureIo(env: Record<string, string | undefined>, cwd: string) {
  const out = { stdout: '', stderr: '' };
  const io: CommandIo = {
    stdout: { write: (t: string) => (out.stdout += t) },
    stderr: { write: (t: string) => (out.stderr += t) },
    env,
    cwd,
  };
  return { io, out };
}

describe('llamagate token', () => {
  let idp: FakeTokenEndpoint;
  let dir: string;
  before(async () => {
    idp = await startFakeTokenEndpoint({ clients: { 'lls-client': SECRET } });
    dir = mkdtempSync(join(tmpdir(), 'llamagate-token-'));
  });
  after(async () => {
    await idp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints only the access token', async () => {
    const { io, out } = captureIo(
      { KEYCLOAK_BASE_URL: idp.url, KEYCLOAK_CLIENT_SECRET: SECRET },
      dir,
    );
    assert.equal(await runTokenCommand([], io), 0);
    assert.match(out.stdout, /^tok-[0-9a-f]+\n$/);
    assert.ok(idp.isValid(out.stdout.trim()));
    assert.equal(out.stderr, '');
  });

  it('reads settings from .env in the working directory', async () => {
    const cwd = mkdtempSync(join(dir, 'env-'));
    writeFileSync(
      join(cwd, '.env'),
      `KEYCLOAK_BASE_URL=${idp.url}\nKEYCLOAK_CLIENT_SECRET=${SECRET}\n`,
    );
    const { io, out } = captureIo({}, cwd);
    assert.equal(await runTokenCommand([], io), 0);
    assert.match(out.stdout, /^tok-/);
  });

  it('wrong secret: exit 1, plain message on stderr, nothing on stdout', async () => {
    const { io, out } = captureIo(
      { KEYCLOAK_BASE_URL: idp.url, KEYCLOAK_CLIENT_SECRET: 'nope' },
      dir,
    );
    assert.equal(await runTokenCommand([], io), 1);
    assert.equal(out.stdout, '');
    assert.match(
      out.stderr,
      /^llamagate token: the identity provider rejected the client credentials for 'lls-client' .* check KEYCLOAK_CLIENT_SECRET\n$/,
    );
  });

  it('bad configuration and unknown flags: exit 1 with the reason', async () => {
    let run = captureIo({ KEYCLOAK_BASE_URL: 'nope', KEYCLOAK_CLIENT_SECRET: SECRET }, dir);
    assert.equal(await runTokenCommand([], run.io), 1);
    assert.match(run.out.stderr, /KEYCLOAK_BASE_URL must be an absolute http/);

    run = captureIo({}, dir);
    assert.equal(await runTokenCommand(['--bogus'], run.io), 1);
    assert.match(run.out.stderr, /Unknown option '--bogus'/);
  });

  it('works as TOKEN=$(...) from a separate process', async () => {
    const code = `import('./src/cli/commands/token.ts').then((m) => m.runTokenCommand(process.argv.slice(1))).then((c) => { process.exitCode = c; })`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
      cwd: process.cwd(),
      env: { ...process.env, KEYCLOAK_BASE_URL: idp.url, KEYCLOAK_CLIENT_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(exit, 0, stderr);
    assert.ok(idp.isValid(stdout.trim()), `stdout was ${JSON.stringify(stdout)}`);
  });
});
