import type { LoadedConfig } from '../config/load.js';
import { ConfigError } from '../errors/errors.js';
import { ModelRegistry, modelIdentifier } from '../inference/registry.js';
import type { InferenceProvider, ProviderDeps, ProviderModel } from '../inference/types.js';
import type { Logger } from '../logging/logger.js';
import { findProviderFactory } from '../providers/index.js';

/** Creates the inference providers of run.yaml; other APIs' providers are reported and skipped. */
export function createProviders(
  loaded: LoadedConfig,
  deps: ProviderDeps,
): Map<string, InferenceProvider> {
  const providers = new Map<string, InferenceProvider>();
  for (const [api, entries] of Object.entries(loaded.config.providers)) {
    if (api !== 'inference') {
      if (entries.length > 0)
        deps.log.warn(
          { api },
          `the '${api}' API is not served by llamagate; its providers are ignored`,
        );
      continue;
    }
    for (const entry of entries) {
      const factory = findProviderFactory(entry.provider_type);
      if (!factory)
        throw new ConfigError(`${loaded.path}: unknown provider_type '${entry.provider_type}'`);
      const config = loaded.providerConfigs.get(entry.provider_id) ?? entry.config;
      providers.set(entry.provider_id, factory.create(entry.provider_id, config, deps));
    }
  }
  return providers;
}

function modelsFor(loaded: LoadedConfig, providerId: string): ProviderModel[] {
  return loaded.config.models
    .filter((m) => m.provider_id === providerId)
    .map((m) => ({
      providerModelId: m.provider_model_id ?? m.model_id,
      modelType: m.model_type,
      metadata: m.metadata,
    }));
}

/** Starts every provider (in parallel: a slow one must not delay the others). */
export async function startProviders(
  loaded: LoadedConfig,
  providers: Map<string, InferenceProvider>,
): Promise<void> {
  await Promise.all([...providers.values()].map((p) => p.start(modelsFor(loaded, p.id))));
}

/** run.yaml models first; then what providers list, without shadowing configured names. */
export async function buildRegistry(
  loaded: LoadedConfig,
  providers: Map<string, InferenceProvider>,
  log: Logger,
): Promise<ModelRegistry> {
  const registry = new ModelRegistry();
  const now = Math.floor(Date.now() / 1000);
  for (const m of loaded.config.models) {
    const providerId = m.provider_id as string;
    const providerModelId = m.provider_model_id ?? m.model_id;
    registry.add({
      identifier: modelIdentifier(m.model_id, providerId, providerModelId),
      providerResourceId: providerModelId,
      providerId,
      modelType: m.model_type,
      metadata: m.metadata,
      source: 'run_config',
      created: now,
    });
  }

  await Promise.all(
    [...providers.values()].map(async (p) => {
      const listed = await p.listModels().catch((err: unknown) => {
        log.debug({ err, provider: p.id }, 'provider model listing failed');
        return [];
      });
      for (const m of listed) {
        const identifier = `${p.id}/${m.providerModelId}`;
        const configured = registry
          .list()
          .some((r) => r.providerId === p.id && r.providerResourceId === m.providerModelId);
        if (configured || registry.has(identifier)) continue;
        registry.add({
          identifier,
          providerResourceId: m.providerModelId,
          providerId: p.id,
          modelType: m.modelType,
          metadata: m.metadata,
          source: 'listed_from_provider',
          created: now,
        });
      }
    }),
  );
  return registry;
}
