import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import type { CounterStore } from './store.js';

/** INCRBY and the expiry in one server-side step, so no counter is left without a TTL. */
const INCREMENT_SCRIPT = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return value`;

/** Logging a dead Redis once per this interval is enough. */
const ERROR_LOG_INTERVAL_MS = 30_000;

/**
 * Counters in Redis, shared by every replica. Commands fail fast while disconnected (no offline
 * queue, 2 s command timeout) so a Redis outage turns into prompt 503s instead of hung requests;
 * the client keeps reconnecting in the background.
 */
export class RedisCounterStore implements CounterStore {
  private readonly client: Redis;
  private lastErrorLog = 0;

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    this.client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 2_000,
      connectTimeout: 5_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    this.client.on('error', (err: Error) => {
      const now = Date.now();
      if (now - this.lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
      this.lastErrorLog = now;
      this.log.error({ err: err.message }, 'quota store (redis) connection error');
    });
  }

  /** Connects once; failure is logged and requests answer 503 until Redis is reachable. */
  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'quota store (redis) unreachable at start');
    }
  }

  async increment(key: string, by: number, expiresAtMs: number): Promise<number> {
    return Number(await this.client.eval(INCREMENT_SCRIPT, 1, key, by, expiresAtMs));
  }

  async get(key: string): Promise<number> {
    return Number((await this.client.get(key)) ?? 0);
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
