import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { QuotaLimiter } from '../../src/auth/types.js';
import { GatewayError } from '../../src/errors/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { createQuotaLimiter } from '../../src/quota/index.js';
import { redisSkipReason, startRedis } from '../support/redis.js';
import type { RedisProcess } from '../support/redis.js';
import { principal, quotaConfig, rateLimited } from './fixtures.js';

const skip = redisSkipReason();
if (skip) console.warn(`quota-redis tests skipped: ${skip}`);

describe('Redis quota store', { skip }, () => {
  let redis: RedisProcess;
  const log = silentLogger();
  const open: QuotaLimiter[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const q of open) await q.close();
    await redis?.stop();
  });

  async function limiter(fields: Record<string, unknown>, url = redis.url): Promise<QuotaLimiter> {
    const q = await createQuotaLimiter(
      quotaConfig({ kvstore: { type: 'redis', url, namespace: 'test' }, ...fields }),
      { log, authEnabled: true },
    );
    open.push(q);
    return q;
  }

  it('shares counts between two limiters (replicas)', async () => {
    const a = await limiter({ authenticated_max_requests: 4 });
    const b = await limiter({ authenticated_max_requests: 4 });
    const carol = principal('carol');
    await a.consumeRequest(carol, '');
    await b.consumeRequest(carol, '');
    await a.consumeRequest(carol, '');
    await b.consumeRequest(carol, '');
    await rateLimited(a.consumeRequest(carol, ''), /4 requests per day for this principal/);
    await rateLimited(b.consumeRequest(carol, ''), /4 requests per day/);
  });

  it('shares token budgets and counts concurrent increments exactly', async () => {
    const a = await limiter({ max_tokens_per_period: 100, authenticated_max_requests: 1000 });
    const b = await limiter({ max_tokens_per_period: 100, authenticated_max_requests: 1000 });
    const dave = principal('dave');
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).chargeTokens(dave, '', 2)),
    );
    await rateLimited(b.checkTokens(dave, ''), /100 tokens per day/);

    const c = await limiter({ authenticated_max_requests: 30 });
    const d = await limiter({ authenticated_max_requests: 30 });
    const erin = principal('erin');
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) => (i % 2 ? c : d).consumeRequest(erin, '')),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 30);
  });

  it('sets an expiry on every counter', async () => {
    const q = await limiter({ period: 'minute' });
    await q.consumeRequest(principal('frank'), '');
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('test:minute:req:principal:frank:*');
      assert.equal(keys.length, 1);
      const ttl = await client.pttl(keys[0]!);
      assert.ok(ttl > 0 && ttl <= 60_000, `ttl ${ttl}`);
    } finally {
      client.disconnect();
    }
  });

  it('answers 503 while Redis is unreachable and recovers when it returns', async () => {
    let own = await startRedis();
    try {
      const q = await limiter({}, own.url);
      await q.consumeRequest(principal('g'), '');
      await own.stop();
      const err = await q.consumeRequest(principal('g'), '').then(
        () => assert.fail('expected failure'),
        (e: unknown) => e as GatewayError,
      );
      assert.ok(err instanceof GatewayError);
      assert.equal(err.status, 503);
      assert.equal(err.message, 'quota service unavailable');

      own = await startRedis(own.port);
      const deadline = Date.now() + 8_000;
      for (;;) {
        try {
          await q.consumeRequest(principal('g'), '');
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } finally {
      await own.stop();
    }
  });

  it('starts even when Redis is down, answering 503 meanwhile', async () => {
    const dead = await limiter({}, 'redis://127.0.0.1:1');
    await assert.rejects(dead.consumeRequest(undefined, '1.2.3.4'), /quota service unavailable/);
  });
});
