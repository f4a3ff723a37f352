import type { ProviderFactory } from '../../inference/types.js';
import { llamaCppConfigSchema } from './config.js';
import { LazyLlamaCppProvider } from './lazy.js';

export { llamaCppConfigSchema } from './config.js';
export type { LlamaCppConfig } from './config.js';
export { buildTinyModel, ensureTinyModel, writeTinyModel } from './gguf/tiny-model.js';
export type { TinyModelOptions } from './gguf/tiny-model.js';
export { resolveOllamaModel } from './ollama-store.js';

/** Disposes the shared llama.cpp runtimes no provider uses any more (process shutdown). */
export async function disposeRuntimes(): Promise<void> {
  // Imported on demand so that importing this module never loads node-llama-cpp.
  const engine = await import('./engine.js');
  await engine.disposeRuntimes();
}

/** `inline::llama-cpp`: a GGUF model run inside the gateway process by llama.cpp. */
export const llamaCppProviderFactory: ProviderFactory<typeof llamaCppConfigSchema> = {
  type: 'inline::llama-cpp',
  configSchema: llamaCppConfigSchema,
  create: (id, config, deps) => new LazyLlamaCppProvider(id, config, deps),
};
