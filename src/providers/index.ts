import type { ProviderFactory } from '../inference/types.js';

/**
 * Every inference provider type llamagate knows, by `provider_type`. A new provider is a folder
 * under `src/providers/` exporting a ProviderFactory, plus one line here.
 */
const factories: ProviderFactory[] = [];

export function registerProviderFactory(factory: ProviderFactory): void {
  factories.push(factory);
}

export function findProviderFactory(type: string): ProviderFactory | undefined {
  return factories.find((f) => f.type === type);
}

export function knownProviderTypes(): string[] {
  return factories.map((f) => f.type);
}
