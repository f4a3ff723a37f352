import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keycloakClaims, mintToken } from '../support/tokens.js';
import { assertRateLimited, call, nextReset, startQuotaEnv } from './http-support.js';
import type { QuotaEnv } from './http-support.js';

describe('request quotas through the stack server (SQLite)', () => {
  let env: QuotaEnv;
  let dir: string;

  before(async () => {
    env = await startQuotaEnv();
    dir = await mkdtemp(join(tmpdir(), 'llamagate-quota-http-'));
  });
  after(async () => {
    await env?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const quota = (
    file: string,
    limit: number,
  ) => `    kvstore: {type: sqlite, db_path: ${join(dir, file)}}
    authenticated_max_requests: ${limit}
    anonymous_max_requests: 1
    period: day
`;

  it('answers 429 with Retry-After and a message naming the limit and the reset time', async () => {
    const stack = await env.startStack(quota('limit.db', 3));
    const token = await env.token('alice');
    for (let i = 0; i < 3; i++) {
      const ok = await call(`${stack.url}/v1/models`, token);
      assert.equal(ok.status, 200, ok.text);
    }
    const refused = await call(`${stack.url}/v1/models`, token);
    const message = assertRateLimited(refused);
    const reset = nextReset('day');
    assert.equal(
      message,
      `Request quota exceeded: 3 requests per day for this principal; resets at ${reset.toISOString().replace('.000Z', 'Z')}`,
    );
    const retryAfter = Number(refused.headers.get('retry-after'));
    const expected = (reset.getTime() - Date.now()) / 1000;
    assert.ok(Math.abs(retryAfter - expected) <= 5, `Retry-After ${retryAfter}, ~${expected}`);
    // Every route counts, inference included, and the refusal comes before the body is used.
    const before = env.ollama.requests.length;
    const chat = await call(`${stack.url}/v1/chat/completions`, token, {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assertRateLimited(chat);
    assert.equal(env.ollama.requests.length, before);
  });

  it('counts per principal: tokens of one subject share a counter, other subjects have their own', async () => {
    const stack = await env.startStack(quota('principals.db', 4));
    const [first, second] = [await env.token('bob'), await env.token('bob')];
    assert.notEqual(first, second);
    for (const token of [first, second, first, second]) {
      assert.equal((await call(`${stack.url}/v1/models`, token)).status, 200);
    }
    assertRateLimited(await call(`${stack.url}/v1/models`, first));
    assertRateLimited(await call(`${stack.url}/v1/models`, await env.token('bob')));
    const carol = await env.token('carol');
    assert.equal((await call(`${stack.url}/v1/models`, carol)).status, 200);
  });

  it('charges nobody for requests refused by authentication or for public routes', async () => {
    const stack = await env.startStack(quota('free.db', 2));
    const dave = await env.token('dave');
    const [head, payload] = dave.split('.');
    const forged = `${head}.${payload}.${'A'.repeat(86)}`;
    const expired = await mintToken(env.key, keycloakClaims({ sub: 'dave', exp: 1 }));
    for (let i = 0; i < 5; i++) {
      for (const token of [undefined, forged, expired, 'garbage']) {
        assert.equal((await call(`${stack.url}/v1/models`, token)).status, 401);
      }
      for (const path of ['/v1/health', '/v1/version']) {
        assert.equal((await call(`${stack.url}${path}`, dave)).status, 200);
        assert.equal((await call(`${stack.url}${path}`)).status, 200);
      }
    }
    assert.equal((await call(`${stack.url}/v1/models`, dave)).status, 200);
    assert.equal((await call(`${stack.url}/v1/models`, dave)).status, 200);
    assertRateLimited(await call(`${stack.url}/v1/models`, dave));
  });

  it('lets exactly the limit through in a concurrent burst', async () => {
    const stack = await env.startStack(quota('burst.db', 10));
    const tokens = await Promise.all(Array.from({ length: 5 }, () => env.token('erin')));
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => call(`${stack.url}/v1/models`, tokens[i % 5])),
    );
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 200).length, 10, String(statuses));
    assert.equal(statuses.filter((s) => s === 429).length, 30, String(statuses));
  });

  it('keeps counts across a stack restart on the same SQLite file', async () => {
    const first = await env.startStack(quota('restart.db', 5));
    const frank = await env.token('frank');
    for (let i = 0; i < 3; i++)
      assert.equal((await call(`${first.url}/v1/models`, frank)).status, 200);
    await first.close();

    const second = await env.startStack(quota('restart.db', 5));
    const again = await env.token('frank');
    assert.equal((await call(`${second.url}/v1/models`, again)).status, 200);
    assert.equal((await call(`${second.url}/v1/models`, again)).status, 200);
    assertRateLimited(await call(`${second.url}/v1/models`, again));
  });
});
