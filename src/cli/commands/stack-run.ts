import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadRunConfig, parseEnvPairs, resolvePort } from '../../config/load.js';
import { ConfigError } from '../../errors/errors.js';
import { createLogger } from '../../logging/logger.js';
import { onShutdown } from './signals.js';

const HELP = `llamagate stack run --config <run.yaml> [--port N] [--host H] [--env KEY=VALUE ...]

  --config    Llama Stack run.yaml (default: configs/run.yaml)
  --port      listen port; wins over LLAMA_STACK_PORT and server.port (default 8321)
  --host      listen address (default: server.host, else all interfaces)
  --env       KEY=VALUE for \${env.KEY} substitution; repeatable; wins over the environment
  --data-dir  where providers keep generated files (default .llamagate)`;

/** The tutorial's run.yaml, relative to the working directory (a checkout of llamagate). */
const DEFAULT_CONFIG = 'configs/run.yaml';

/** `llamagate stack run`: the same shape as `llama stack run`. */
export async function runStackCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== 'run') {
    if (sub === undefined || sub === '--help' || sub === '-h') return void console.log(HELP);
    throw new ConfigError(`unknown command 'stack ${sub}'; did you mean 'stack run'?\n\n${HELP}`);
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
      'data-dir': { type: 'string', default: '.llamagate' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return void console.log(HELP);

  const cliPort = values.port === undefined ? undefined : Number(values.port);
  if (cliPort !== undefined && (!Number.isInteger(cliPort) || cliPort < 0 || cliPort > 65535)) {
    throw new ConfigError(`--port must be a port number (0-65535), got '${values.port}'`);
  }
  const cliEnv = parseEnvPairs(values.env);
  const configPath = values.config ?? DEFAULT_CONFIG;
  if (values.config === undefined && !existsSync(DEFAULT_CONFIG)) {
    throw new ConfigError(
      `no --config given, and there is no ${DEFAULT_CONFIG} in ${process.cwd()}; ` +
        'pass --config path/to/run.yaml',
    );
  }
  const loaded = await loadRunConfig(configPath, { cliEnv });
  const port = resolvePort(cliPort, { ...process.env, ...cliEnv }, loaded.config);

  // Imported only once the config is known to be good, so config errors print at once.
  const { startStack } = await import('../../stack/index.js');
  const log = createLogger({ name: 'stack' });
  const stack = await startStack(loaded, {
    port,
    log,
    dataDir: values['data-dir'],
    ...(values.host ? { host: values.host } : {}),
  });
  log.info(
    { url: stack.url, config: loaded.path, models: stack.registry.list().map((m) => m.identifier) },
    'stack server listening',
  );
  onShutdown(() => stack.close());
}
