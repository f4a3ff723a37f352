import type { AccessPolicy, Authenticator, QuotaLimiter } from '../auth/types.js';
import type { ServerConfig } from '../config/schema.js';
import type { InferenceProvider } from '../inference/types.js';
import type { ModelRegistry } from '../inference/registry.js';
import type { Logger } from '../logging/logger.js';
import type { ServerMetrics } from './metrics.js';

/** Everything the HTTP layer needs, assembled once by `src/stack/`. */
export interface ServerDeps {
  log: Logger;
  server: ServerConfig;
  registry: ModelRegistry;
  providers: ReadonlyMap<string, InferenceProvider>;
  /** Absent when run.yaml has no `server.auth`. */
  auth?: Authenticator;
  policy: AccessPolicy;
  quota?: QuotaLimiter;
  metrics: ServerMetrics;
  /** Llama Stack API version we answer as, and our own. */
  versions: { api: string; llamagate: string };
}

/** Used when no access policy applies: auth off means everyone may do everything. */
export const allowAll: AccessPolicy = { isAllowed: () => true };
