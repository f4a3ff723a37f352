import type { QuotaLimiter } from '../auth/types.js';
import type { Logger } from '../logging/logger.js';
import type { QuotaConfig } from './config.js';
import { WindowQuotaLimiter } from './limiter.js';
import { RedisCounterStore } from './redis-store.js';
import { SqliteCounterStore } from './sqlite-store.js';

export interface QuotaDeps {
  log: Logger;
  /** Without authentication every caller is anonymous and limited per client address. */
  authEnabled: boolean;
  /** Clock in milliseconds since epoch; tests inject one to cross window boundaries. */
  now?: () => number;
}

/**
 * Builds the request/token limiter for `server.quota` on its kvstore (SQLite file or Redis).
 * An unreachable Redis is logged, not fatal: quota checks answer 503 until it is back.
 */
export async function createQuotaLimiter(
  config: QuotaConfig,
  deps: QuotaDeps,
): Promise<QuotaLimiter> {
  const now = deps.now ?? Date.now;
  const kv = config.kvstore;
  let store;
  if (kv.type === 'sqlite') {
    store = new SqliteCounterStore(kv.db_path, now);
  } else {
    const redis = new RedisCounterStore(kv.url, deps.log);
    await redis.connect();
    store = redis;
  }
  return new WindowQuotaLimiter(config, store, {
    log: deps.log,
    authEnabled: deps.authEnabled,
    now,
  });
}
