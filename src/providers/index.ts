import type { ProviderFactory } from '../inference/types.js';
import { llamaCppProviderFactory } from './llama-cpp/index.js';
import { ollamaProviderFactory } from './ollama/index.js';
import { openaiProviderFactory, vllmProviderFactory } from './openai-compat/index.js';

/**
 * Every inference provider type llamagate knows, by `provider_type`. A new provider is a folder
 * under `src/providers/` exporting a ProviderFactory, plus one entry here.
 */
const factories: ProviderFactory[] = [
  ollamaProviderFactory as ProviderFactory,
  openaiProviderFactory as ProviderFactory,
  vllmProviderFactory as ProviderFactory,
  llamaCppProviderFactory as ProviderFactory,
];

/** Adds a provider type at run time (tests, embedding applications). */
export function registerProviderFactory(factory: ProviderFactory): void {
  const i = factories.findIndex((f) => f.type === factory.type);
  if (i >= 0) factories[i] = factory;
  else factories.push(factory);
}

export function findProviderFactory(type: string): ProviderFactory | undefined {
  return factories.find((f) => f.type === type);
}

export function knownProviderTypes(): string[] {
  return factories.map((f) => f.type);
}
