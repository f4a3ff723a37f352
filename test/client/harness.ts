import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startClientService, type RunningClientService } from '../../src/client/index.js';
import type { ClientSettings } from '../../src/client/settings.js';
import { createLogger, type Logger } from '../../src/logging/logger.js';
import { startFakeStackServer, type FakeStackServer } from '../support/fake-stack-server.js';
import { startFakeTokenEndpoint, type FakeTokenEndpoint } from '../support/fake-token-endpoint.js';

export const TEST_SECRET = 'test-secret-do-not-log';

/** A logger whose JSON lines are kept in memory, to assert on what gets logged. */
export function memoryLogger(): {
  log: Logger;
  lines: () => Array<Record<string, unknown>>;
  raw: () => string;
} {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination: sink });
  return {
    log,
    raw: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface Harness {
  idp: FakeTokenEndpoint;
  stack: FakeStackServer;
  client: RunningClientService;
  logs: ReturnType<typeof memoryLogger>;
  invoke(body: unknown, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The client service between a fake token endpoint and a fake stack server, all on 127.0.0.1
 * port 0. Reads no .env (an empty temporary directory is the working directory).
 */
export async function startHarness(settings: Partial<ClientSettings> = {}): Promise<Harness> {
  const idp = await startFakeTokenEndpoint({ clients: { 'lls-client': TEST_SECRET } });
  const stack = await startFakeStackServer({ acceptToken: (t) => idp.isValid(t) });
  const cwd = mkdtempSync(join(tmpdir(), 'llamagate-client-'));
  const logs = memoryLogger();
  const client = await startClientService({
    env: {},
    cwd,
    log: logs.log,
    settings: {
      keycloakBaseUrl: idp.url,
      clientSecret: TEST_SECRET,
      llsBaseUrl: stack.url,
      host: '127.0.0.1',
      port: 0,
      ...settings,
    },
  });
  return {
    idp,
    stack,
    client,
    logs,
    invoke: (body, init = {}) =>
      fetch(`${client.url}/api/invoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
        ...init,
      }),
    close: async () => {
      await client.close();
      await Promise.all([idp.close(), stack.close()]);
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
