import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { assertRateLimited, startQuotaEnv } from './http-support.js';
import type { Answer, QuotaEnv } from './http-support.js';

/** GET from a chosen loopback source address (the whole of 127/8 is local on Linux). */
function getFrom(
  stack: RunningStack,
  source: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: stack.port, path, localAddress: source, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const headerList = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') headerList.set(name, value);
          }
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: headerList, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('anonymous request quotas (authentication off)', () => {
  let env: QuotaEnv;
  let stack: RunningStack;

  before(async () => {
    env = await startQuotaEnv();
    stack = await env.startStack(
      `    kvstore: {type: sqlite, db_path: ":memory:"}
    anonymous_max_requests: 3
    authenticated_max_requests: 100
    period: hour
`,
      { auth: false },
    );
  });
  after(async () => {
    await env?.close();
  });

  it('counts each client address on its own with anonymous_max_requests', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await getFrom(stack, '127.0.0.1', '/v1/models')).status, 200);
    }
    const refused = await getFrom(stack, '127.0.0.1', '/v1/models');
    assert.match(
      assertRateLimited(refused),
      /^Request quota exceeded: 3 requests per hour for this client address; resets at \d{4}-\d\d-\d\dT\d\d:00:00Z$/,
    );
    for (let i = 0; i < 3; i++) {
      assert.equal((await getFrom(stack, '127.0.0.2', '/v1/models')).status, 200);
    }
    assertRateLimited(await getFrom(stack, '127.0.0.2', '/v1/models'));
  });

  it('keys on the socket address, not on X-Forwarded-For or a bearer token', async () => {
    const token = await env.token('alice');
    for (let i = 0; i < 3; i++) {
      const res = await getFrom(stack, '127.0.0.3', '/v1/models', {
        'x-forwarded-for': `10.0.0.${i}`,
        'x-real-ip': `10.1.0.${i}`,
        authorization: `Bearer ${token}`,
      });
      assert.equal(res.status, 200, res.text);
    }
    const res = await getFrom(stack, '127.0.0.3', '/v1/models', { 'x-forwarded-for': '10.9.9.9' });
    assert.match(assertRateLimited(res), /for this client address/);
  });

  it('keeps health and version answering once an address has spent its quota', async () => {
    for (const path of ['/v1/health', '/v1/version', '/v1/health', '/v1/version']) {
      assert.equal((await getFrom(stack, '127.0.0.1', path)).status, 200, path);
    }
    assertRateLimited(await getFrom(stack, '127.0.0.1', '/v1/providers'));
  });
});
