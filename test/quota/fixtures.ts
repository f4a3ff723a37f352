import assert from 'node:assert/strict';
import type { Principal } from '../../src/auth/types.js';
import { GatewayError, RateLimitError } from '../../src/errors/errors.js';
import { quotaConfigSchema } from '../../src/quota/config.js';
import type { QuotaConfig } from '../../src/quota/config.js';

export const principal = (id: string): Principal => ({ id, attributes: {} });

export function quotaConfig(fields: Record<string, unknown>): QuotaConfig {
  return quotaConfigSchema.parse({ kvstore: { type: 'sqlite', db_path: ':memory:' }, ...fields });
}

/** A clock (ms) pinned to a chosen instant. */
export class TestClock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** Calls `fn` `times` times, all of which must succeed. */
export async function succeeds(times: number, fn: () => Promise<void>): Promise<void> {
  for (let i = 0; i < times; i++) await fn();
}

export async function rateLimited(
  promise: Promise<void>,
  message: RegExp,
): Promise<RateLimitError> {
  const err = await promise.then(
    () => assert.fail('expected a RateLimitError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RateLimitError, String(err));
  assert.equal((err as GatewayError).status, 429);
  assert.match((err as GatewayError).message, message);
  return err as RateLimitError;
}
