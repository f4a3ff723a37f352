import { basename, join } from 'node:path';
import { ConfigError } from '../errors/errors.js';
import { startClientService } from '../client/index.js';
import type { RunningClientService } from '../client/index.js';
import { loadRunConfig } from '../config/load.js';
import type { LoadedConfig } from '../config/load.js';
import { startIdp } from '../idp/index.js';
import type { RunningIdp } from '../idp/index.js';
import type { Logger } from '../logging/logger.js';
import { findProviderFactory } from '../providers/index.js';
import { startStack } from '../stack/index.js';
import type { RunningStack } from '../stack/index.js';
import { chooseInference } from './inference-choice.js';
import { ensurePortsFree } from './ports.js';
import type { InferenceChoice } from './inference-choice.js';

export interface DevOptions {
  host: string;
  idpPort: number;
  stackPort: number;
  clientPort: number;
  config: string;
  dataDir: string;
  env: Record<string, string | undefined>;
  log: Logger;
}

export interface RunningDev {
  idp: RunningIdp;
  stack: RunningStack;
  client: RunningClientService;
  inference: InferenceChoice;
  modelId: string;
  close(): Promise<void>;
}

/** The embedded engine replaces run.yaml's providers; auth, quota and server settings stay. */
function useEmbeddedEngine(
  loaded: LoadedConfig,
  choice: Extract<InferenceChoice, { kind: 'llama-cpp' }>,
) {
  const factory = findProviderFactory('inline::llama-cpp');
  if (!factory)
    throw new ConfigError(
      'the embedded inference engine (inline::llama-cpp) is not available in this build',
    );
  const config = factory.configSchema.parse(choice.config);
  loaded.providerConfigs = new Map([['llama-cpp', config]]);
  loaded.config.providers = {
    inference: [
      { provider_id: 'llama-cpp', provider_type: 'inline::llama-cpp', config: choice.config },
    ],
  };
  const metadata = choice.notice
    ? { description: 'generates random text; see the start-up notice' }
    : {};
  // The name the provider lists its model under (ollama_model, else the file name), so that
  // /v1/models shows the one model by the name the banner prints rather than twice.
  const served = choice.config.ollama_model ?? basename(choice.config.model_path ?? '', '.gguf');
  loaded.config.models = [
    {
      model_id: choice.modelId,
      provider_id: 'llama-cpp',
      provider_model_id: served,
      model_type: 'llm',
      metadata,
    },
  ];
}

/**
 * The tutorial's three servers in one process, started in dependency order (the stack server
 * fetches the identity provider's keys at start; the client needs both) and wired together
 * through the tutorial's own variables.
 */
export async function startDev(options: DevOptions): Promise<RunningDev> {
  const { host, env, log } = options;
  await ensurePortsFree(host, [
    {
      port: options.idpPort,
      what: 'identity provider',
      flag: '--idp-port',
      env: 'KEYCLOAK_BASE_URL',
      usualSuspect: "another llamagate, or the tutorial's Keycloak,",
    },
    {
      port: options.stackPort,
      what: 'stack server',
      flag: '--stack-port',
      env: 'LLAMA_STACK_PORT',
      usualSuspect: 'another llamagate, or a Llama Stack server,',
    },
    {
      port: options.clientPort,
      what: 'client service',
      flag: '--client-port',
      env: 'CLIENT_PORT',
      usualSuspect: "another llamagate, or the tutorial's FastAPI client,",
    },
  ]);
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.reverse())
      await c().catch((err: unknown) => log.warn({ err }, 'close failed'));
  };

  try {
    const idp = await startIdp({
      host,
      port: options.idpPort,
      dataDir: join(options.dataDir, 'idp'),
      log: log.child({ component: 'idp' }),
    });
    closers.push(() => idp.close());
    // The IdP names itself http://localhost:<bound port>, also when it was asked for port 0.
    const issuerBase = idp.issuer.slice(0, -`/realms/${idp.realm}`.length);

    const inference = await chooseInference(env, options.dataDir);
    const realmEnv = {
      KEYCLOAK_ISSUER: idp.issuer,
      KEYCLOAK_JWKS_URI: idp.jwksUri.replace(idp.url, issuerBase),
      ...(inference.kind === 'ollama' ? { OLLAMA_URL: inference.url } : {}),
    };
    // The stack port is dev's to choose (0 included), so run.yaml's own server.port, which the
    // schema checks, is left at its default rather than fed LLAMA_STACK_PORT.
    const { LLAMA_STACK_PORT: _portFromFlags, ...configEnv } = env;
    const loaded = await loadRunConfig(options.config, { env: { ...configEnv, ...realmEnv } });
    if (inference.kind === 'llama-cpp') useEmbeddedEngine(loaded, inference);

    const stack = await startStack(loaded, {
      port: options.stackPort,
      host,
      dataDir: options.dataDir,
      log: log.child({ component: 'stack' }),
    });
    closers.push(() => stack.close());

    const modelId =
      inference.kind === 'ollama' ? env.INFERENCE_MODEL || 'llama3.2:3b' : inference.modelId;
    // The wiring beats the environment and ./.env: a tutorial .env naming other ports (or a
    // model the embedded engine does not have) must not point the client elsewhere.
    const client = await startClientService({
      env: { LLS_MODEL: modelId, ...env },
      settings: {
        host,
        port: options.clientPort,
        keycloakBaseUrl: issuerBase,
        tokenUrl: idp.tokenUrl,
        llsBaseUrl: `http://localhost:${stack.port}`,
        ...(inference.kind === 'llama-cpp' ? { model: modelId } : {}),
      },
      log: log.child({ component: 'client' }),
    });
    closers.push(() => client.close());
    return { idp, stack, client, inference, modelId: client.settings.model, close };
  } catch (err) {
    await close();
    throw err;
  }
}
