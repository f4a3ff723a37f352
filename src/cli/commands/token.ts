import { parseArgs } from 'node:util';
import { resolveClientSettings } from '../../client/settings.js';
import { TokenProvider } from '../../client/token-provider.js';
import { createLogger, silentLogger } from '../../logging/logger.js';
import { describeFailure, processIo, type CommandIo } from '../../client/command-io.js';

const USAGE = `Usage: llamagate token [--env-file <path>]

Prints an access token for KEYCLOAK_CLIENT_ID obtained with the client-credentials grant, and
nothing else, so that TOKEN=$(llamagate token) works. Settings come from the environment and
./.env (the same variables as llamagate client).
`;

/**
 * `llamagate token`: writes only the access token (plus a newline) to stdout. Problems go to
 * stderr as one plain sentence and give exit code 1.
 */
export async function runTokenCommand(
  argv: string[],
  io: CommandIo = processIo(),
): Promise<number> {
  let envFile: string | undefined;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { 'env-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    envFile = values['env-file'];
  } catch (err) {
    io.stderr.write(`llamagate token: ${(err as Error).message}\n${USAGE}`);
    return 1;
  }

  try {
    const settings = resolveClientSettings(io.env, { cwd: io.cwd, envFile });
    // Debug lines go to stderr so stdout stays exactly the token.
    const log = settings.debug
      ? createLogger({ name: 'token', level: 'debug', destination: process.stderr })
      : silentLogger();
    const token = await new TokenProvider(settings, { log }).getToken();
    io.stdout.write(`${token}\n`);
    return 0;
  } catch (err) {
    io.stderr.write(`llamagate token: ${describeFailure(err)}\n`);
    return 1;
  }
}
