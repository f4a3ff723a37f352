import type { ProviderFactory } from '../../inference/types.js';
import { openaiConfigSchema, vllmConfigSchema } from './config.js';
import { OpenAICompatProvider } from './provider.js';

export { openaiConfigSchema, vllmConfigSchema } from './config.js';
export type { OpenAICompatConfig } from './config.js';

/** `remote::openai`: api.openai.com (default) or another server speaking the OpenAI API. */
export const openaiProviderFactory: ProviderFactory<typeof openaiConfigSchema> = {
  type: 'remote::openai',
  configSchema: openaiConfigSchema,
  create: (id, config, deps) =>
    new OpenAICompatProvider(
      id,
      config,
      {
        type: 'remote::openai',
        name: 'OpenAI',
        extendedSampling: false,
        maxTokensField: 'max_completion_tokens',
      },
      deps,
    ),
};

/** `remote::vllm`: a vLLM server's OpenAI-compatible API, with vLLM's extra sampling fields. */
export const vllmProviderFactory: ProviderFactory<typeof vllmConfigSchema> = {
  type: 'remote::vllm',
  configSchema: vllmConfigSchema,
  create: (id, config, deps) =>
    new OpenAICompatProvider(
      id,
      config,
      { type: 'remote::vllm', name: 'vLLM', extendedSampling: true, maxTokensField: 'max_tokens' },
      deps,
    ),
};
