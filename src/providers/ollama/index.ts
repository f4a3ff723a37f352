import type { ProviderFactory } from '../../inference/types.js';
import { ollamaConfigSchema } from './config.js';
import { OllamaProvider } from './provider.js';

export { ollamaConfigSchema } from './config.js';
export type { OllamaConfig } from './config.js';

/** `remote::ollama`: a local or remote Ollama server, spoken to over its native API. */
export const ollamaProviderFactory: ProviderFactory<typeof ollamaConfigSchema> = {
  type: 'remote::ollama',
  configSchema: ollamaConfigSchema,
  create: (id, config, deps) => new OllamaProvider(id, config, deps),
};
