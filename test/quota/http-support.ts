/**
 * Set-up for the quota tests over HTTP: one JWKS server and one Ollama stand-in shared by any
 * number of stack servers (restarts, replicas), each with its own `server.quota` block.
 */
import assert from 'node:assert/strict';
import type { RunningStack } from '../../src/stack/index.js';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { AUDIENCE, generateTestKey, ISSUER, keycloakClaims, mintToken } from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';

export interface QuotaEnv {
  key: TestKey;
  idp: JwksServer;
  ollama: OllamaStandin;
  /** Starts a stack server with this `quota:` body (indented four spaces) and auth on or off. */
  startStack(quotaYaml: string, options?: { auth?: boolean }): Promise<RunningStack>;
  /** A fresh access token (new jti and iat each time) for `sub`. */
  token(sub: string): Promise<string>;
  close(): Promise<void>;
}

export async function startQuotaEnv(): Promise<QuotaEnv> {
  const key = await generateTestKey('ES256');
  const idp = await startJwksServer([key.publicJwk]);
  const ollama = await startOllamaStandin({ reply: 'one two three' });
  const stacks: RunningStack[] = [];
  let serial = 0;
  return {
    key,
    idp,
    ollama,
    async startStack(quotaYaml, options = {}) {
      const auth = `
  auth:
    provider_config:
      type: oauth2_token
      jwks: {uri: "${idp.uri}"}
      issuer: "${ISSUER}"
      audience: ${AUDIENCE}`;
      const yaml = `server:\n  quota:\n${quotaYaml}${options.auth === false ? '' : auth}\n`;
      const stack = await startTestStack(ollamaRunYaml(ollama.url, yaml));
      stacks.push(stack);
      return stack;
    },
    token: (sub) => mintToken(key, keycloakClaims({ sub, jti: `jti-${sub}-${++serial}` })),
    async close() {
      for (const stack of stacks) await stack.close().catch(() => undefined);
      await ollama.close();
      await idp.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** GET or POST (when `body` is given) with an optional bearer token. */
export async function call(url: string, token?: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The next UTC boundary of `period` after now, as the limiter formats it. */
export function nextReset(period: 'minute' | 'hour' | 'day', nowMs = Date.now()): Date {
  const length = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[period];
  return new Date((Math.floor(nowMs / length) + 1) * length);
}

/** 429 in the envelope with Retry-After; returns the message. */
export function assertRateLimited(res: Answer): string {
  assert.equal(res.status, 429, res.text);
  assert.equal(res.json?.error?.code, 'rate_limited', res.text);
  assert.equal(res.json.error.type, 'rate_limit_error');
  assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
  return res.json.error.message as string;
}
