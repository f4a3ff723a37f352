import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keycloakClaims, rawToken } from '../support/tokens.js';
import { rawHttp, send, startAuthStack } from './attack-http.js';
import type { AuthStack, Reply } from './attack-http.js';

const REQUESTS = 2000;
const PARALLEL = 16;
const SEED = Number(process.env.LLAMAGATE_FUZZ_SEED ?? 20261204);

/** mulberry32: a small seeded generator, so a failure can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = [
  'model',
  'model_id',
  'messages',
  'prompt',
  'input',
  'content',
  'contents',
  'stream',
  'max_tokens',
  'temperature',
  'tools',
  'tool_choice',
  'response_format',
  'stream_options',
  'sampling_params',
  'provider_model_id',
  'provider_id',
  'model_type',
  'metadata',
  'role',
  'n',
  'stop',
  'logprobs',
  'dimensions',
  'encoding_format',
  '__proto__',
  'constructor',
];
const MODELS = ['llama3.2:3b', 'ollama/llama3.2:3b', 'all-minilm:l6-v2', 'ollama/all-minilm:l6-v2'];

class Fuzzer {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(max: number): Buffer {
    return Buffer.from(Array.from({ length: this.int(max) }, () => this.int(256)));
  }
  text(max: number): string {
    const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '/', '%', '.', '\u0000', 'é', '😀', '\n', '{'];
    return Array.from({ length: this.int(max) }, () => this.pick(alphabet)).join('');
  }
  value(depth: number): unknown {
    const kind = this.int(depth > 3 ? 5 : 8);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.pick([0, -1, 1e308, -0.5, 2 ** 53, Number.MAX_SAFE_INTEGER, 7]);
      case 2:
        return this.pick([true, false]);
      case 3:
        return this.pick([...MODELS, this.text(20), '', 'user', 'system', 'text', 'json_schema']);
      case 4:
        return this.text(40);
      case 5:
        return Array.from({ length: this.int(4) }, () => this.value(depth + 1));
      case 6:
        return {
          role: this.pick(['user', 'assistant', 'tool', 'x']),
          content: this.value(depth + 1),
        };
      default: {
        const obj: Record<string, unknown> = {};
        for (let i = this.int(6); i > 0; i--) obj[this.pick(FIELDS)] = this.value(depth + 1);
        return obj;
      }
    }
  }
  /** A plausible body for the route with random damage, or outright garbage. */
  body(): Buffer | undefined {
    switch (this.int(6)) {
      case 0:
        return undefined;
      case 1:
        return this.bytes(600);
      case 2:
        return Buffer.from(JSON.stringify(this.value(0)) ?? 'null');
      case 3:
        return Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`);
      default: {
        const base: Record<string, unknown> = {
          model: this.pick(MODELS),
          model_id: this.pick(MODELS),
          messages: [{ role: 'user', content: 'hi' }],
          prompt: 'hi',
          input: 'hi',
          content: 'hi',
          contents: ['hi'],
          stream: this.random() < 0.3,
        };
        base[this.pick(FIELDS)] = this.value(1);
        return Buffer.from(JSON.stringify(base));
      }
    }
  }
}

/** Whether two compact tokens decode to the same three byte strings (non-canonical base64). */
function sameBytes(a: string, b: string): boolean {
  const decode = (t: string) =>
    t.split('.').map((p) => Buffer.from(p, 'base64url').toString('hex'));
  const [x, y] = [a.split('.'), b.split('.')];
  return x.length === 3 && y.length === 3 && decode(a).join('.') === decode(b).join('.');
}

describe('fuzzing every route with random bodies and Authorization values', () => {
  let env: AuthStack;
  let routes: { route: string; method: string }[];
  let authorizations: (string | Buffer | undefined)[];

  before(async () => {
    env = await startAuthStack({
      accessPolicy: `      - permit: {principal: admin, actions: [create, read, update, delete]}
      - permit: {actions: [read]}
        when: user with ml in teams`,
      serverExtra: `  quota:
    kvstore: {type: sqlite, db_path: ":memory:"}
    authenticated_max_requests: 100000
    period: minute`,
    });
    const admin = await env.token('admin');
    const listed = await send('GET', `${env.stack.url}/v1/inspect/routes`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    routes = listed.json.data;
    authorizations = [
      undefined,
      `Bearer ${admin}`,
      `Bearer ${admin}`,
      `Bearer ${await env.token('ml-user', { groups: ['ml'] })}`,
      `Bearer ${await env.token('eve')}`,
      `Bearer ${await env.token('old', { exp: 1 })}`,
      `Bearer ${rawToken({ alg: 'none', kid: env.key.kid }, keycloakClaims({ sub: 'admin' }))}`,
      `Bearer ${'A'.repeat(12_000)}`,
      'Bearer',
      'Basic YWRtaW46YWRtaW4=',
      'bearer  a.b.c',
    ];
  });
  after(async () => {
    await env?.close();
  });

  function target(f: Fuzzer): { method: string; path: string } {
    if (f.random() < 0.05)
      return { method: f.pick(['GET', 'POST', 'PATCH']), path: `/${f.text(12)}` };
    const { route, method } = f.pick(routes);
    const path = route
      .replace(/\{[^}]+\}|:\w+/g, () => f.pick(['ollama', 'x', '%2e%2e', f.text(6)]))
      .replace('*', () => f.pick([...MODELS, '', '..', f.text(10)]));
    return { method, path: encodeURI(path).replace(/%25/g, '%') };
  }

  function authorization(f: Fuzzer): string | Buffer | undefined {
    if (f.random() < 0.8) return f.pick(authorizations);
    // Arbitrary bytes, minus the ones that would end the header line.
    return Buffer.concat([Buffer.from('Bearer '), f.bytes(80).filter((b) => b !== 10 && b !== 13)]);
  }

  async function one(f: Fuzzer, i: number): Promise<[string, Reply]> {
    const { method, path } = target(f);
    const body = method === 'GET' || method === 'DELETE' ? undefined : f.body();
    const contentType = f.pick([
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      '',
    ]);
    const auth = authorization(f);
    const head = [
      Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: fuzz-${i}`),
      ...(auth === undefined ? [] : [Buffer.from('\r\nAuthorization: '), Buffer.from(auth)]),
      Buffer.from(contentType ? `\r\nContent-Type: ${contentType}` : ''),
      Buffer.from(body ? `\r\nContent-Length: ${body.length}` : ''),
    ];
    const res = await rawHttp(env.stack.port, Buffer.concat(head), body ?? '');
    return [`#${i} ${method} ${path} (${body?.length ?? 0} body bytes)`, res];
  }

  it(`answers ${REQUESTS} random requests without a 500 or a crash (seed ${SEED})`, async () => {
    const f = new Fuzzer(prng(SEED));
    const statuses = new Map<number, number>();
    for (let start = 0; start < REQUESTS; start += PARALLEL) {
      const batch = Array.from({ length: Math.min(PARALLEL, REQUESTS - start) }, (_, k) =>
        one(f, start + k),
      );
      for (const [label, res] of await Promise.all(batch)) {
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const where = `${label} → ${res.status} ${res.text.slice(0, 200)}`;
        assert.ok(res.status >= 200 && res.status < 600 && res.status !== 500, where);
        assert.doesNotMatch(res.text, /node_modules|\.ts:\d+:\d+|\n\s+at /, where);
        if (res.status >= 400 && res.headers['content-type']?.startsWith('application/json')) {
          // Our envelope, or the HTTP parser's own answer to a request it could not read.
          const ours = typeof res.json?.error?.code === 'string';
          assert.ok(ours || [400, 431].includes(res.status), where);
        }
      }
    }
    // The fuzz must have reached handlers, not only the authentication wall.
    const served = [...statuses].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    assert.ok(served > REQUESTS / 20, `only ${served} requests got past authentication`);
    assert.ok((statuses.get(401) ?? 0) > REQUESTS / 10, JSON.stringify([...statuses]));

    const health = await fetch(`${env.stack.url}/v1/health`);
    assert.equal(health.status, 200);
  });

  it('answers 401 to 500 mutated tokens unless they decode to the very same bytes', async () => {
    const f = new Fuzzer(prng(SEED + 1));
    const valid = await env.token('admin');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const chars = [...valid];
      for (let n = 1 + f.int(3); n > 0; n--) {
        const at = f.int(chars.length);
        if (f.random() < 0.2) chars.splice(at, 1);
        else chars[at] = f.pick([...alphabet]);
      }
      const token = chars.join('');
      const res = await send('GET', `${env.stack.url}/v1/models`, {
        headers: { authorization: `Bearer ${token}` },
      });
      seen.add(res.status);
      assert.equal(res.status, sameBytes(token, valid) ? 200 : 401, `${token}: ${res.text}`);
      if (res.status === 401) assert.equal(res.json?.error?.code, 'unauthorized', res.text);
    }
    assert.ok(seen.has(401));
  });
});
