import type * as OidcProviderModule from 'oidc-provider';

type Module = typeof OidcProviderModule;

let loading: Promise<Module> | undefined;

/**
 * Imports oidc-provider once. On Node 20 the module prints "Unsupported runtime" at import time;
 * the features used here work on Node 20, so that single known line is dropped while the module
 * loads. Every other warning still reaches stderr.
 */
export function loadOidcProvider(): Promise<Module> {
  loading ??= (async () => {
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return;
      original.apply(console, args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = original;
    }
  })();
  return loading;
}
