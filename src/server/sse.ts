import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toGatewayError, UpstreamError } from '../errors/errors.js';
import { toHttpError } from '../errors/http.js';
import type { ChatEvent } from '../inference/types.js';
import { UNFINISHED } from '../translate/collect.js';
import type { StreamEncoder } from '../translate/stream-encoder.js';

export interface SseOptions {
  /** OpenAI streams end with `data: [DONE]`; Llama Stack's legacy streams do not. */
  doneSentinel: boolean;
  /** How long a write may wait for the client to read before the connection is closed. */
  sendTimeoutMs: number;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
};

/**
 * Resolves true when the socket can take more or the client is gone (`gone` also fires for a
 * pipelined response that never got the socket, which emits neither `drain` nor `close`), false
 * when the client read nothing for `timeoutMs`.
 */
function drained(res: ServerResponse, gone: AbortSignal, timeoutMs: number): Promise<boolean> {
  if (gone.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onDrain);
      gone.removeEventListener('abort', onDrain);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    res.on('drain', onDrain);
    res.on('close', onDrain);
    gone.addEventListener('abort', onDrain);
  });
}

/**
 * Streams a generation as SSE events, written straight to the socket: no stream object sits
 * between the provider and the connection, and events are encoded synchronously in this one loop,
 * so an open stream waits on a single promise for its next event and holds no read-ahead buffer.
 * A slow client still applies backpressure all the way upstream (the next event is pulled only
 * once the socket drained). Events produced in the same tick leave in one packet, because Node
 * corks a response until the tick ends. A failure after the headers went out, or events that end
 * without `done`, become one well-formed `error` event and the stream ends without the success
 * sentinel.
 *
 * The reply is taken over from fastify (`hijack`), which still runs the onResponse hooks (request
 * log line, metrics) when the response finishes; a client that leaves mid-stream gets its line
 * from watchClient (client-gone.ts).
 */
export async function sendSse(
  request: FastifyRequest,
  reply: FastifyReply,
  events: AsyncIterable<ChatEvent>,
  encoder: StreamEncoder,
  options: SseOptions,
): Promise<void> {
  const res = reply.raw;
  reply.hijack();
  // fastify's own headers (request id, CORS) were set on the reply; they go out with ours.
  const headers = { ...reply.getHeaders(), ...SSE_HEADERS } as OutgoingHttpHeaders;
  res.writeHead(reply.statusCode, headers);
  const gone = () => res.destroyed || request.streamAborted === true;
  /** Writes events; false when the socket asked to drain first (one or two events may be over). */
  const write = (payloads: string[]) => {
    let ok = true;
    for (const payload of payloads) ok = res.write(`data: ${payload}\n\n`);
    return ok;
  };
  /** Waits for the client to read; one that read nothing for the send timeout is dropped. */
  const keepUp = async () => {
    if (await drained(res, request.abortSignal, options.sendTimeoutMs)) return;
    // A client that stopped reading must not hold its upstream connection for ever: closing
    // the connection makes it a client that left (watchClient cancels the upstream request).
    request.log.info({ sendTimeoutMs: options.sendTimeoutMs }, 'client stopped reading');
    res.destroy();
  };
  const iterator = events[Symbol.asyncIterator]();
  let exhausted = false;
  try {
    // Only a full socket costs a promise here: a stream waits on one promise per event, the
    // provider's.
    if (!gone() && !write(encoder.opening())) await keepUp();
    let finished = false;
    while (!finished && !gone()) {
      let next: IteratorResult<ChatEvent>;
      try {
        next = await iterator.next();
      } catch (err) {
        exhausted = true;
        throw err;
      }
      if (next.done) {
        exhausted = true;
        break;
      }
      finished = next.value.type === 'done';
      // Encoded even for a client gone meanwhile: encoding is where the answer is charged.
      const payloads = encoder.encode(next.value);
      if (!gone() && !write(payloads)) await keepUp();
    }
    if (!finished && !gone()) throw new UpstreamError(UNFINISHED);
    if (options.doneSentinel && !gone()) res.write('data: [DONE]\n\n');
  } catch (thrown) {
    const err = toGatewayError(thrown);
    if (!request.streamAborted) {
      const level = err.status >= 500 ? 'error' : 'info';
      request.log[level](
        { code: err.code, detail: err.detail, err: err.expose ? undefined : thrown },
        'stream failed',
      );
      request.streamError = err.code;
      if (!res.destroyed) res.write(`data: ${JSON.stringify(toHttpError(err).body)}\n\n`);
    }
  } finally {
    encoder.close?.();
    // Stopping early (client gone, answer complete) must release the upstream at once.
    if (!exhausted) await iterator.return?.().catch(() => undefined);
  }
  if (!gone()) res.end();
}
