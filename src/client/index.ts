import { Agent } from 'undici';
import { ConfigError } from '../errors/errors.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { createClientApp } from './app.js';
import { dialectOf } from './chat-body.js';
import { displayUrl } from './net-errors.js';
import { resolveClientSettings, type ClientSettings } from './settings.js';
import { StackClient } from './stack-client.js';
import { TokenProvider } from './token-provider.js';

export { loadClientSettings, resolveClientSettings, CLIENT_DEFAULTS } from './settings.js';
export type { ClientSettings, ClientAuthMethod, LoadSettingsOptions } from './settings.js';
export { TokenProvider } from './token-provider.js';
export type { TokenProviderDeps, TokenSettings } from './token-provider.js';
export { checkHealth } from './health.js';
export type { HealthReport, DependencyHealth } from './health.js';

export interface ClientServiceOptions {
  /** Values from code; they beat the environment and the env file. */
  settings?: Partial<ClientSettings>;
  /** The environment to read (default: process.env). */
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** Directory whose `.env` is read (default: the current directory). */
  cwd?: string;
  /** An explicit env file instead of `<cwd>/.env`. */
  envFile?: string;
}

export interface RunningClientService {
  url: string;
  settings: ClientSettings;
  close(): Promise<void>;
}

/**
 * Starts the client service: `POST /api/invoke` forwards prompts to the stack server with a
 * client-credentials token, `GET /health` reports both dependencies. Throws ConfigError on bad
 * settings and when the address cannot be bound.
 */
export async function startClientService(
  options: ClientServiceOptions = {},
): Promise<RunningClientService> {
  const env = options.env ?? process.env;
  const settings = resolveClientSettings(env, {
    cwd: options.cwd,
    envFile: options.envFile,
    overrides: options.settings,
  });
  const log =
    options.log ??
    createLogger({ name: 'client', level: settings.debug ? 'debug' : env.LLAMAGATE_LOG_LEVEL });
  const dispatcher = new Agent({ connect: { timeout: 10_000 } });
  const tokens = new TokenProvider(settings, { dispatcher, log });
  const stack = new StackClient(settings, tokens, { dispatcher, log });
  const app = createClientApp({ settings, stack, log, dispatcher });

  try {
    await app.listen({ host: settings.host, port: settings.port });
  } catch (err) {
    await dispatcher.close();
    throw listenError(err, settings);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `http://${host}:${port}`;
  log.info(
    {
      url,
      tokenUrl: displayUrl(settings.tokenUrl),
      clientId: settings.clientId,
      chatUrl: displayUrl(stack.chatUrl),
      dialect: dialectOf(settings.chatEndpoint),
      model: settings.model,
    },
    'client service listening',
  );

  return {
    url,
    settings,
    close: async () => {
      await app.close();
      await dispatcher.destroy();
    },
  };
}

function listenError(err: unknown, settings: ClientSettings): Error {
  const code = (err as { code?: string }).code;
  const where = `${settings.host}:${settings.port}`;
  if (code === 'EADDRINUSE') {
    return new ConfigError(
      `port ${settings.port} on ${settings.host} is already in use: set CLIENT_PORT or pass --port`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new ConfigError(
      `cannot listen on ${where}: set CLIENT_HOST to an address of this machine`,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
