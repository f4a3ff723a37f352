import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { UpstreamError } from '../../errors/errors.js';
import type { UpstreamTimeouts } from './config.js';
import {
  firstByteTimeoutError,
  idleTimeoutError,
  isAbortError,
  mapRequestError,
  mapStatusError,
  mapStreamError,
  upstreamErrorMessage,
} from './errors.js';
import type { UpstreamLabel } from './errors.js';

export type UpstreamBody = Dispatcher.ResponseData['body'];

/** Largest error body read from an upstream; the message is all we need. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/**
 * Largest whole reply read from an upstream: far above a long answer or a large embedding batch,
 * a bound on what one request can make the gateway hold.
 */
const MAX_REPLY_BYTES = 128 * 1024 * 1024;

/**
 * One keep-alive connection pool per upstream origin. Inference is the benchmarked hot path, so
 * connections are reused rather than opened per request; pipelining stays off because a slow
 * generation would block every request queued behind it on the same socket.
 */
export function createUpstreamPool(
  origin: string,
  options: { connections: number; connectMs: number },
): Pool {
  return new Pool(origin, {
    connections: options.connections,
    pipelining: 1,
    connect: { timeout: options.connectMs },
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 10 * 60_000,
  });
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  timeouts: UpstreamTimeouts;
  label: UpstreamLabel;
}

/**
 * Sends a request and waits for the status line. Failures before it (refused, DNS, reset,
 * first-byte timeout) reject with a GatewayError; abort through `signal` rejects with the abort
 * error unchanged so callers can tell a gone client from a broken upstream.
 */
export async function sendUpstream(
  pool: Dispatcher,
  req: UpstreamRequest,
): Promise<Dispatcher.ResponseData> {
  try {
    return await pool.request({
      method: req.method,
      path: req.path,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      headersTimeout: req.timeouts.firstByteMs,
      // Our own timers (readChunks here, BodyEvents for streams) tell the first chunk from the gaps
      // between chunks.
      bodyTimeout: 0,
    });
  } catch (err) {
    if (req.signal?.aborted && isAbortError(err)) throw err;
    throw mapRequestError(err, req.label, req.timeouts.firstByteMs);
  }
}

/**
 * Iterates the body's chunks as they arrive, pull-based (so the upstream is paced by the caller).
 * The first chunk must come within the first-byte timeout, the next ones within the idle timeout;
 * time spent by the caller between pulls does not count. Throws a GatewayError when the upstream
 * fails or stalls; ends quietly when `signal` aborts.
 */
async function* readChunks(
  body: UpstreamBody,
  timeouts: UpstreamTimeouts,
  label: UpstreamLabel,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  let first = true;
  let waiting = true;
  const onTimeout = () => {
    // The caller holds a chunk: not the upstream's fault. The timer is re-armed when it pulls again
    // (refresh() revives a fired timer), so an abandoned iteration leaves nothing ticking.
    if (!waiting) return;
    body.destroy(
      first
        ? firstByteTimeoutError(label, timeouts.firstByteMs)
        : idleTimeoutError(label, timeouts.idleMs),
    );
  };
  let timer = setTimeout(onTimeout, timeouts.firstByteMs).unref();
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        clearTimeout(timer);
        timer = setTimeout(onTimeout, timeouts.idleMs).unref();
      }
      waiting = false;
      yield chunk;
      waiting = true;
      timer.refresh();
    }
  } catch (err) {
    if (signal?.aborted) return;
    throw mapStreamError(err, label);
  } finally {
    clearTimeout(timer);
    // Dropping a body early (caller stopped iterating) must free the socket at once.
    if (!body.destroyed && !body.readableEnded) body.destroy();
  }
}

/** Reads at most `maxBytes` of a body as text, under the same timeouts as a stream. */
async function readUpTo(
  body: UpstreamBody,
  timeouts: UpstreamTimeouts,
  label: UpstreamLabel,
  signal: AbortSignal | undefined,
  maxBytes: number,
): Promise<{ text: string; cut: boolean }> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of readChunks(body, timeouts, label, signal)) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      return { text: Buffer.concat(parts).toString('utf8'), cut: true };
    }
    parts.push(chunk);
  }
  return { text: Buffer.concat(parts).toString('utf8'), cut: false };
}

/**
 * Reads a whole reply (a non-streamed answer, embeddings, a model list) as text. A reply over
 * `maxBytes` fails instead of being held in memory whatever its size.
 */
export async function readText(
  body: UpstreamBody,
  timeouts: UpstreamTimeouts,
  label: UpstreamLabel,
  signal?: AbortSignal,
  maxBytes = MAX_REPLY_BYTES,
): Promise<string> {
  const { text, cut } = await readUpTo(body, timeouts, label, signal, maxBytes);
  if (cut) {
    throw new UpstreamError(`${label.name} sent a reply larger than ${maxBytes} bytes.`, 502, {
      detail: { url: label.url },
    });
  }
  return text;
}

/** Reads the start of a (small) error body for its message; never throws. */
export async function readErrorText(
  body: UpstreamBody,
  timeouts: UpstreamTimeouts,
  label: UpstreamLabel,
): Promise<string> {
  try {
    return (await readUpTo(body, timeouts, label, undefined, MAX_ERROR_BODY_BYTES)).text;
  } catch {
    return '';
  }
}

/**
 * Sends a generation or embedding request and turns an HTTP error status into our error model.
 * Resolves undefined when the caller went away before the upstream answered: nobody is left to
 * read an error.
 */
export async function postUpstream(
  pool: Pool,
  req: UpstreamRequest & { signal: AbortSignal },
  model: string,
): Promise<Dispatcher.ResponseData | undefined> {
  if (req.signal.aborted) return undefined;
  let res: Dispatcher.ResponseData;
  try {
    res = await sendUpstream(pool, req);
  } catch (err) {
    if (req.signal.aborted) return undefined;
    throw err;
  }
  if (res.statusCode < 400) return res;
  const text = await readErrorText(res.body, req.timeouts, req.label);
  throw mapStatusError(res.statusCode, upstreamErrorMessage(text), req.label, model);
}

/** Parses an upstream reply; anything but JSON is the upstream's fault (502). */
export function parseUpstreamJson(text: string, label: UpstreamLabel): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamError(`${label.name} sent a reply that is not JSON.`, 502, {
      detail: { url: label.url, reply: text.slice(0, 200) },
    });
  }
}
