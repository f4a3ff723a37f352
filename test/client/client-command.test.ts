import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runClientCommand } from '../../src/cli/commands/client.js';
import type { RunningClientService } from '../../src/client/index.js';
import type { CommandIo } from '../../src/client/command-io.js';
import { startFakeTokenEndpoint } from '../support/fake-token-endpoint.js';

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

describe('llamagate client', () => {
  it('listens on --host/--port (beating CLIENT_PORT) until stopped', async () => {
    const idp = await startFakeTokenEndpoint();
    const dir = mkdtempSync(join(tmpdir(), 'llamagate-clientcmd-'));
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let service: RunningClientService | undefined;
    const { io, out } = captureIo(
      {
        KEYCLOAK_BASE_URL: idp.url,
        KEYCLOAK_CLIENT_SECRET: 'test-secret',
        CLIENT_PORT: '1',
        LLAMAGATE_LOG_LEVEL: 'silent',
      },
      dir,
    );
    try {
      const exit = runClientCommand(['--host', '127.0.0.1', '--port', '0'], {
        io,
        stopSignal: stopped,
        onListening: (s) => {
          service = s;
          fetch(`${s.url}/health`)
            .then((res) => res.json())
            .then((body) => {
              assert.equal(
                (body as { identity_provider: { ok: boolean } }).identity_provider.ok,
                true,
              );
            })
            .finally(stop);
        },
      });
      assert.equal(await exit, 0);
      assert.match(service?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(service?.url, 'http://127.0.0.1:1');
      assert.match(out.stderr, /llamagate client listening on http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await idp.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bad flags and bad settings: exit 1 with a message naming what to fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llamagate-clientcmd-'));
    let run = captureIo({ KEYCLOAK_CLIENT_SECRET: 's' }, dir);
    assert.equal(await runClientCommand(['--port', 'http'], { io: run.io }), 1);
    assert.match(run.out.stderr, /--port must be a number between 0 and 65535 \(got 'http'\)/);

    run = captureIo({ KEYCLOAK_CLIENT_SECRET: 's', LLS_BASE_URL: 'localhost:8321' }, dir);
    assert.equal(await runClientCommand(['--port', '0'], { io: run.io }), 1);
    assert.match(run.out.stderr, /^llamagate client: LLS_BASE_URL must be an absolute http/);
    rmSync(dir, { recursive: true, force: true });
  });
});
