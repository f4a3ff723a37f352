import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createAccessPolicy, createAuthenticator } from '../auth/index.js';
import type { Authenticator, QuotaLimiter } from '../auth/types.js';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors/errors.js';
import type { InferenceProvider } from '../inference/types.js';
import type { ModelRegistry } from '../inference/registry.js';
import { createLogger } from '../logging/logger.js';
import { createQuotaLimiter } from '../quota/index.js';
import type { Logger } from '../logging/logger.js';
import { buildServer } from '../server/app.js';
import { allowAll } from '../server/deps.js';
import { ServerMetrics } from '../server/metrics.js';
import { API_VERSION, LLAMAGATE_VERSION } from '../version.js';
import { buildRegistry, createProviders, startProviders } from './providers.js';

export interface StackOptions {
  port: number;
  /** Defaults to `server.host`, else all interfaces. */
  host?: string;
  log?: Logger;
  /** Where providers keep caches and generated files. */
  dataDir?: string;
}

export interface RunningStack {
  url: string;
  port: number;
  app: FastifyInstance;
  registry: ModelRegistry;
  close(): Promise<void>;
}

/** An address that accepts connections from other machines too: all zeros, however spelt. */
const isEveryInterface = (host: string) => /^[0:.]*$/.test(host.replace(/^\[|\]$/g, ''));

/**
 * The warning for a server that anyone on the network may use: no `server.auth`, listening on
 * every interface (Llama Stack's default too). Undefined when that is not the case.
 */
export function exposureWarning(host: string, authOn: boolean): string | undefined {
  if (authOn || !isEveryInterface(host)) return undefined;
  return (
    'authentication is off (no server.auth in run.yaml) and the server listens on every ' +
    'interface: anyone who can reach this port can use its models. Add server.auth, or pass ' +
    '--host 127.0.0.1 to serve this machine only.'
  );
}

/**
 * Assembles and starts the stack server from a loaded run.yaml: providers, model registry,
 * identity (authenticator, access policy, quotas) and the HTTP app. Start-up problems the user
 * must fix throw ConfigError; an identity provider or Ollama that is not up yet is retried.
 */
export async function startStack(
  loaded: LoadedConfig,
  options: StackOptions,
): Promise<RunningStack> {
  const log = options.log ?? createLogger({ name: 'stack' });
  const server = loaded.config.server;
  const providers = createProviders(loaded, { log, dataDir: options.dataDir ?? '.llamagate' });
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse())
      await close().catch((err: unknown) => log.warn({ err }, 'close failed'));
  };
  closers.push(...[...providers.values()].map((p: InferenceProvider) => () => p.close()));

  try {
    let auth: Authenticator | undefined;
    if (server.auth) {
      auth = createAuthenticator(server.auth, { log });
      closers.push(() => (auth as Authenticator).close());
    }
    const policy = server.auth ? createAccessPolicy(server.auth.access_policy) : allowAll;
    let quota: QuotaLimiter | undefined;
    if (server.quota) {
      quota = await createQuotaLimiter(server.quota, { log, authEnabled: auth !== undefined });
      closers.push(() => (quota as QuotaLimiter).close());
    }

    await Promise.all([startProviders(loaded, providers), auth?.start()]);
    const registry = await buildRegistry(loaded, providers, log);
    const app = buildServer({
      log,
      server,
      registry,
      providers,
      policy,
      metrics: new ServerMetrics(),
      versions: { api: API_VERSION, llamagate: LLAMAGATE_VERSION },
      ...(auth ? { auth } : {}),
      ...(quota ? { quota } : {}),
    });
    closers.push(() => app.close());

    const host = options.host ?? server.host ?? '0.0.0.0';
    await app.listen({ port: options.port, host }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') throw err;
      const why = err.code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges';
      throw new ConfigError(
        `stack server address ${host}:${options.port} ${why}; pass another --port ` +
          '(or set LLAMA_STACK_PORT)',
        { cause: err },
      );
    });
    const port = (app.server.address() as AddressInfo).port;
    const exposed = exposureWarning(host, auth !== undefined);
    if (exposed) log.warn({ host, port }, exposed);
    const scheme = server.tls_certfile && server.tls_keyfile ? 'https' : 'http';
    const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
    return { url: `${scheme}://${shownHost}:${port}`, port, app, registry, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
