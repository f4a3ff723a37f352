import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { redisSkipReason, startRedis } from '../support/redis.js';
import type { RedisProcess } from '../support/redis.js';
import { assertRateLimited, call, startQuotaEnv } from './http-support.js';
import type { QuotaEnv } from './http-support.js';

const skip = redisSkipReason();

describe('Redis-backed quotas shared by two stack servers', { skip }, () => {
  let env: QuotaEnv;
  let redis: RedisProcess;
  let a: RunningStack;
  let b: RunningStack;

  before(async () => {
    env = await startQuotaEnv();
    redis = await startRedis();
    const quota = `    kvstore: {type: redis, url: "${redis.url}", namespace: http-test}
    authenticated_max_requests: 6
    period: day
    max_tokens_per_period: 1000
`;
    a = await env.startStack(quota);
    b = await env.startStack(quota);
  });
  after(async () => {
    await env?.close();
    await redis?.stop();
  });

  it('shares one counter per principal between the replicas', async () => {
    const token = await env.token('alice');
    for (const stack of [a, b, a, b, a, b]) {
      assert.equal((await call(`${stack.url}/v1/models`, token)).status, 200);
    }
    assertRateLimited(await call(`${a.url}/v1/models`, token));
    assertRateLimited(await call(`${b.url}/v1/models`, await env.token('alice')));
    assert.equal((await call(`${b.url}/v1/models`, await env.token('bob'))).status, 200);
  });

  it('lets exactly the limit through a concurrent burst spread over both replicas', async () => {
    const token = await env.token('carol');
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(`${(i % 2 ? a : b).url}/v1/models`, token)),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 6, String(statuses));
    assert.equal(statuses.filter((s) => s === 429).length, 24, String(statuses));
  });

  it('answers 503 with Retry-After while Redis is down, never 500 or unlimited, then recovers', async () => {
    const token = await env.token('dave');
    assert.equal((await call(`${a.url}/v1/models`, token)).status, 200);
    const port = redis.port;
    await redis.stop();

    const generations = env.ollama.requests.length;
    for (const stack of [a, b]) {
      for (let i = 0; i < 8; i++) {
        const res = await call(`${stack.url}/v1/models`, token);
        assert.equal(res.status, 503, res.text);
        assert.equal(res.json?.error?.code, 'upstream_unavailable', res.text);
        assert.equal(res.json.error.message, 'quota service unavailable');
        assert.equal(res.headers.get('retry-after'), '5');
      }
      const chat = await call(`${stack.url}/v1/chat/completions`, token, {
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.equal(chat.status, 503, chat.text);
    }
    assert.equal(env.ollama.requests.length, generations, 'a request got through unmetered');
    // Public routes never touch the store.
    assert.equal((await call(`${a.url}/v1/health`)).status, 200);

    redis = await startRedis(port);
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await call(`${b.url}/v1/models`, token)).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(status, 200, 'no recovery after Redis came back');
    // The new Redis is empty: counting starts again from zero and is shared again.
    for (let i = 0; i < 5; i++) {
      const res = await call(`${(i % 2 ? a : b).url}/v1/models`, token);
      assert.equal(res.status, 200, res.text);
    }
    assertRateLimited(await call(`${a.url}/v1/models`, token));
  });
});
