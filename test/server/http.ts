/**
 * HTTP helpers for the stack-server tests: raw requests, the error-envelope check every error
 * answer must pass, an incremental SSE reader that timestamps each event as it arrives, and a
 * URL nothing listens on.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** Sends any method with a JSON value, or a raw string body sent as given. */
export async function send(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Traces of implementation details that must never reach a client. */
const INTERNALS = [
  /\n\s+at /,
  /\\n\s+at /,
  /file:\/\//,
  /node:internal/,
  /node_modules/,
  /\.[jt]s:\d+/,
];

/**
 * Asserts the one error envelope `{"error":{"message","type","code","param"}}`, the status, and
 * (when given) the code; the message must be non-empty and free of stack traces.
 */
export function assertError(res: RawResponse, status: number, code?: string): string {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(res.json && typeof res.json === 'object', `error body is JSON: ${res.text}`);
  assert.deepEqual(Object.keys(res.json), ['error'], res.text);
  const err = res.json.error;
  assert.deepEqual(Object.keys(err).sort(), ['code', 'message', 'param', 'type'], res.text);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0);
  assert.equal(typeof err.type, 'string');
  assert.ok(err.param === null || typeof err.param === 'string');
  if (code !== undefined) assert.equal(err.code, code, res.text);
  for (const pattern of INTERNALS) assert.doesNotMatch(res.text, pattern);
  return err.message as string;
}

export interface TimedEvent {
  data: string;
  /** Milliseconds since the request was sent. */
  at: number;
}

/**
 * POSTs and reads the SSE body incrementally, recording when each `data:` event arrived.
 * `onEvent` may return true to stop reading (the connection is then cancelled).
 */
export async function streamSse(
  url: string,
  body: unknown,
  onEvent?: (event: TimedEvent, index: number) => boolean | void,
): Promise<{ status: number; headers: Headers; events: TimedEvent[]; raw: string }> {
  const started = Date.now();
  const controller = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const events: TimedEvent[] = [];
  let raw = '';
  let buffer = '';
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      raw += text;
      buffer += text;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        if (!block.startsWith('data: ')) continue;
        const event = { data: block.slice('data: '.length), at: Date.now() - started };
        events.push(event);
        if (onEvent?.(event, events.length - 1) === true) {
          controller.abort();
          return { status: res.status, headers: res.headers, events, raw };
        }
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return { status: res.status, headers: res.headers, events, raw };
}

/** An http URL on 127.0.0.1 where nothing listens (a port that was just freed). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A 1x1 PNG, base64. */
export const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** The JSON body the stand-in received for the most recent request to `path`. */
export function lastBody(requests: { path: string; body: unknown }[], path: string): any {
  const found = [...requests].reverse().find((r) => r.path === path);
  assert.ok(found, `no request to ${path}`);
  return found.body;
}
