#!/usr/bin/env node
import { ConfigError } from '../errors/errors.js';
import { LLAMAGATE_VERSION } from '../version.js';

const USAGE =
  `llamagate ${LLAMAGATE_VERSION}

Usage:
  llamagate dev [options]                 identity provider + stack server + client service,` +
  ` wired together
  llamagate stack run --config run.yaml [--port N] [--env KEY=VALUE ...]
                                          the Llama-Stack-compatible inference server
  llamagate idp [options]                 the embedded Keycloak-compatible identity provider
  llamagate idp rotate-keys [--data-dir]  add a new signing key (the old one stays published)
  llamagate client [options]              the client service (POST /api/invoke)
  llamagate token                         print an access token (client-credentials grant)

Run 'llamagate <command> --help' for the options of a command.`;

/** A command resolves when it is set up; a number is the exit code for one-shot commands. */
type Command = (argv: string[]) => Promise<void | number>;

/** Commands load lazily so `llamagate token` does not pay for the inference engine's import. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  stack: async () => (await import('./commands/stack-run.js')).runStackCommand,
  idp: async () => (await import('./commands/idp.js')).runIdpCommand,
  client: async () => (await import('./commands/client.js')).runClientCommand,
  token: async () => (await import('./commands/token.js')).runTokenCommand,
  dev: async () => (await import('./commands/dev.js')).runDevCommand,
};

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return;
  }
  if (name === '--version' || name === '-v') {
    console.log(LLAMAGATE_VERSION);
    return;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`llamagate: unknown command '${name}'\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const code = await (await load())(rest);
  // One-shot commands report failure through their exit code (TOKEN=$(llamagate token) || ...).
  if (typeof code === 'number') process.exitCode = code;
}

/** Node's argument parser refusing the command line (unknown flag, missing value, ...). */
function isUsageError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // Configuration and usage problems are the user's to fix: print the message, not a trace.
  if (isUsageError(err)) {
    const command = process.argv[2] ?? '<command>';
    console.error(`llamagate: ${err.message}\nRun 'llamagate ${command} --help' for its options.`);
    process.exit(2);
  }
  if (err instanceof ConfigError) console.error(`llamagate: ${err.message}`);
  else console.error(err);
  process.exit(1);
});
