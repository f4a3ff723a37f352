/**
 * Shared set-up for the HTTP attack tests: a real stack server with JWT auth in front of the
 * Ollama stand-in, a JWKS server holding a real key, and a raw-socket client for request
 * targets and header layouts that fetch() would normalise away.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { RunningStack } from '../../src/stack/index.js';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { AUDIENCE, generateTestKey, ISSUER, keycloakClaims, mintToken } from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: any;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One request through fetch(); `rawBody` is sent as-is, `body` as JSON. */
export async function send(
  method: string,
  url: string,
  options: { body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined = options.rawBody;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    text,
    json: parseJson(text),
  };
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol === -1) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 4 + size);
  }
}

/**
 * Writes `head` (request line and headers, without the final blank line) on a fresh socket, adds
 * `Connection: close`, and parses the answer. For request targets and header layouts that a
 * client library would refuse or rewrite.
 */
export function rawHttp(
  port: number,
  head: string | Buffer,
  body: string | Buffer = '',
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      socket.write(`\r\nConnection: close\r\n\r\n`);
      if (body.length > 0) socket.write(body);
    });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer to ${String(head).split('\r\n')[0]}`));
    }, 5000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // a reset after the answer is fine; 'close' decides
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString('utf8');
      const split = all.indexOf('\r\n\r\n');
      if (split === -1) return reject(new Error(`no HTTP answer: ${JSON.stringify(all)}`));
      const [statusLine, ...lines] = all.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      let text = all.slice(split + 4);
      if (headers['transfer-encoding'] === 'chunked') text = dechunk(text);
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, text, json: parseJson(text) });
    });
  });
}

/** Status plus our one error envelope, `{"error":{"message","type","code","param"}}`. */
export function assertEnvelope(res: Reply, status: number, code: string): string {
  assert.equal(res.status, status, res.text);
  assert.equal(res.json?.error?.code, code, res.text);
  assert.equal(typeof res.json.error.message, 'string');
  return res.json.error.message as string;
}

export interface AuthStackOptions {
  /** YAML lines for `server.auth.access_policy` (indented as list items under it). */
  accessPolicy?: string;
  /** Extra YAML members of `server:` (cors, quota, ...), two-space indented. */
  serverExtra?: string;
  /** Extra members of `jwks:` as flow-mapping text, e.g. `refetch_cooldown_seconds: 10`. */
  jwksExtra?: string;
}

export interface AuthStack {
  key: TestKey;
  idp: JwksServer;
  ollama: OllamaStandin;
  stack: RunningStack;
  /** A valid access token for `sub` with extra claims. */
  token(sub: string, claims?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** Starts JWKS server, Ollama stand-in and an authenticating stack server on 127.0.0.1:0. */
export async function startAuthStack(options: AuthStackOptions = {}): Promise<AuthStack> {
  const key = await generateTestKey('ES256');
  const idp = await startJwksServer([key.publicJwk]);
  const ollama = await startOllamaStandin({ reply: 'hi there' });
  const jwksExtra = options.jwksExtra ? `, ${options.jwksExtra}` : '';
  const policy = options.accessPolicy ? `    access_policy:\n${options.accessPolicy}\n` : '';
  const yaml = `
server:
${options.serverExtra ?? ''}
  auth:
    provider_config:
      type: oauth2_token
      jwks: {uri: "${idp.uri}"${jwksExtra}}
      issuer: "${ISSUER}"
      audience: ${AUDIENCE}
${policy}`;
  let stack: RunningStack;
  try {
    stack = await startTestStack(ollamaRunYaml(ollama.url, yaml));
  } catch (err) {
    await ollama.close();
    await idp.close();
    throw err;
  }
  return {
    key,
    idp,
    ollama,
    stack,
    token: (sub, claims = {}) => mintToken(key, keycloakClaims({ sub, ...claims })),
    async close() {
      await stack.close();
      await ollama.close();
      await idp.close();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
