import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { toGatewayError } from '../errors/errors.js';
import { toHttpError } from '../errors/http.js';

export interface SseOptions {
  /** OpenAI streams end with `data: [DONE]`; Llama Stack's legacy streams do not. */
  doneSentinel: boolean;
}

/**
 * Relays JSON payloads as SSE events as they are produced. Readable.from pulls from the generator
 * only when the socket drains, so a slow client applies backpressure all the way upstream. A
 * failure after the headers went out becomes one well-formed `error` event and the stream ends
 * without the success sentinel.
 */
export function sendSse(
  request: FastifyRequest,
  reply: FastifyReply,
  payloads: AsyncIterable<string>,
  options: SseOptions,
): FastifyReply {
  async function* frames(): AsyncGenerator<string> {
    try {
      for await (const payload of payloads) yield `data: ${payload}\n\n`;
      if (options.doneSentinel) yield 'data: [DONE]\n\n';
    } catch (thrown) {
      const err = toGatewayError(thrown);
      if (request.streamAborted) return;
      const level = err.status >= 500 ? 'error' : 'info';
      request.log[level](
        { code: err.code, detail: err.detail, err: err.expose ? undefined : thrown },
        'stream failed',
      );
      request.streamError = err.code;
      yield `data: ${JSON.stringify(toHttpError(err).body)}\n\n`;
    }
  }

  return reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(Readable.from(frames()));
}
