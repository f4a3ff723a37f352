import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { startClientService, type RunningClientService } from '../../client/index.js';
import type { ClientSettings } from '../../client/settings.js';
import { describeFailure, processIo, type CommandIo } from '../../client/command-io.js';

const USAGE = `Usage: llamagate client [--host <address>] [--port <port>] [--env-file <path>]

Starts the client service: POST /api/invoke {"prompt": "..."} is forwarded to the stack server
(LLS_BASE_URL + LLS_CHAT_ENDPOINT) with a client-credentials token from KEYCLOAK_BASE_URL.
GET /health reports both. Settings come from the environment and ./.env; the flags win over
CLIENT_HOST and CLIENT_PORT.
`;

export interface ClientCommandOptions {
  io?: CommandIo;
  /** Resolves when the service should stop; default: SIGINT or SIGTERM. */
  stopSignal?: Promise<unknown>;
  /** Called once the service listens (tests use it to learn the URL). */
  onListening?: (service: RunningClientService) => void;
}

/** `llamagate client`: runs the service until stopped. Returns the exit code. */
export async function runClientCommand(
  argv: string[],
  options: ClientCommandOptions = {},
): Promise<number> {
  const io = options.io ?? processIo();
  let overrides: Partial<ClientSettings>;
  let envFile: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'env-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    overrides = flagOverrides(values.host, values.port);
    envFile = values['env-file'];
  } catch (err) {
    io.stderr.write(`llamagate client: ${(err as Error).message}\n${USAGE}`);
    return 1;
  }

  let service: RunningClientService;
  try {
    service = await startClientService({ env: io.env, cwd: io.cwd, envFile, settings: overrides });
  } catch (err) {
    io.stderr.write(`llamagate client: ${describeFailure(err)}\n`);
    return 1;
  }
  io.stderr.write(`llamagate client listening on ${service.url} (POST /api/invoke, GET /health)\n`);
  options.onListening?.(service);

  await (options.stopSignal ?? Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]));
  await service.close();
  return 0;
}

function flagOverrides(
  host: string | undefined,
  port: string | undefined,
): Partial<ClientSettings> {
  const overrides: Partial<ClientSettings> = {};
  if (host !== undefined) {
    if (host.trim() === '') throw new Error('--host needs an address, e.g. 127.0.0.1');
    overrides.host = host;
  }
  if (port !== undefined) {
    if (!/^\d+$/.test(port) || Number(port) > 65535) {
      throw new Error(`--port must be a number between 0 and 65535 (got '${port}')`);
    }
    overrides.port = Number(port);
  }
  return overrides;
}
