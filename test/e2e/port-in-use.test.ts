/**
 * A port that is already taken (a second `npm start`, the tutorial's Keycloak on 8080) is the
 * most common start-up failure. Each command says which port, for what, and how to change it, in
 * one line and with exit code 1 — no stack trace, and `llamagate dev` says so before it spends
 * time on keys and models.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, runCli, stopAll } from '../support/processes.js';
import { RUN_YAML, scratchDir } from './servers.js';

describe('a port that is already in use', { timeout: 90_000 }, () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let busy: Server;
  let port: number;
  let closed: string;

  before(async () => {
    scratch = await scratchDir();
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    port = (busy.address() as { port: number }).port;
    closed = `http://127.0.0.1:${await freePort()}`;
  });

  after(async () => {
    await stopAll();
    await new Promise((resolve) => busy?.close(resolve));
    await scratch?.remove();
  });

  /** `llamagate dev` with the given flags and nothing else to talk to. */
  const dev = (...flags: string[]) =>
    runCli(['dev', '--data-dir', join(scratch.dir, 'data'), ...flags], {
      cwd: scratch.dir,
      env: { OLLAMA_URL: closed, OLLAMA_MODELS: join(scratch.dir, 'no-store') },
    });

  it('llamagate dev names the server, the port and the flag, and starts nothing', async () => {
    const [idp, client, twice] = await Promise.all([
      dev('--idp-port', String(port), '--stack-port', '0', '--client-port', '0'),
      dev('--idp-port', '0', '--stack-port', '0', '--client-port', String(port)),
      dev('--idp-port', String(port + 1), '--stack-port', String(port + 1), '--client-port', '0'),
    ]);
    for (const run of [idp, client, twice]) {
      assert.equal(run.code, 1, run.stderr);
      assert.equal(run.stderr.trim().split('\n').length, 1, `one line: ${run.stderr}`);
      assert.doesNotMatch(run.stdout, /IdP listening|loading model/, 'nothing was started');
    }
    assert.match(
      idp.stderr,
      new RegExp(
        `^llamagate: port ${port} on 127\\.0\\.0\\.1 for the identity provider is already in use .*--idp-port N.*KEYCLOAK_BASE_URL`,
      ),
    );
    assert.match(
      client.stderr,
      new RegExp(`port ${port} .* client service .*--client-port N.*CLIENT_PORT`),
    );
    assert.match(twice.stderr, /identity provider and the stack server are both set to port/);
  });

  it('llamagate stack run says which address is taken and how to pick another', async () => {
    const args = [
      'stack',
      'run',
      '--config',
      RUN_YAML,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
    ];
    for (const [key, value] of Object.entries({
      OLLAMA_URL: closed,
      KEYCLOAK_ISSUER: `${closed}/realms/lls-auth`,
      KEYCLOAK_JWKS_URI: `${closed}/realms/lls-auth/protocol/openid-connect/certs`,
    }))
      args.push('--env', `${key}=${value}`);
    const run = await runCli(args, { cwd: scratch.dir });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `^llamagate: stack server address 127\\.0\\.0\\.1:${port} is already in use; pass another --port`,
      ),
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });
});
