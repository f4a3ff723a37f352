// Fake provider factories for the config tests: only their config schemas matter here.
import { z } from 'zod';
import { findProviderFactory, registerProviderFactory } from '../../src/providers/index.js';
import type { ProviderFactory } from '../../src/inference/types.js';

export const FAKE_TYPE = 'remote::fake';

function fake(type: string, configSchema: z.ZodType): ProviderFactory {
  return {
    type,
    configSchema,
    create() {
      throw new Error('fake providers are never created by config tests');
    },
  };
}

/** Registers `remote::fake` (and `remote::ollama` if no real one is registered). Idempotent. */
export function registerFakeProviders(): void {
  if (!findProviderFactory(FAKE_TYPE)) {
    registerProviderFactory(
      fake(FAKE_TYPE, z.object({ url: z.string().url(), api_key: z.string().nullish() })),
    );
  }
  if (!findProviderFactory('remote::ollama')) {
    registerProviderFactory(fake('remote::ollama', z.object({ url: z.string().url() })));
  }
}
