import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { GatewayError, UpstreamError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { buildChatBody, dialectOf } from './chat-body.js';
import { parseInvokeRequest } from './invoke-request.js';
import { readBodyText } from './read-body.js';
import type { StackClient } from './stack-client.js';
import { upstreamMessage } from './stack-errors.js';

/** Chat answers are JSON documents of a few KB; this only stops a runaway upstream. */
const MAX_ANSWER_BYTES = 32 * 1024 * 1024;

export interface InvokeDeps {
  stack: StackClient;
  defaultModel: string;
  chatEndpoint: string;
  log: Logger;
}

/**
 * `POST /api/invoke`: validates the prompt, forwards it with a bearer token and returns the stack
 * server's answer unchanged, or relays its SSE stream as it arrives.
 */
export function invokeHandler(deps: InvokeDeps) {
  const dialect = dialectOf(deps.chatEndpoint);

  return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const input = parseInvokeRequest(req.body);
    const body = buildChatBody(input, deps.defaultModel, dialect);

    const caller = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) caller.abort();
    });
    const res = await deps.stack.chat(body, {
      stream: input.stream,
      signal: caller.signal,
      requestId: req.id,
    });

    if (input.stream) {
      return reply
        .code(200)
        .headers({
          'content-type': headerText(res.headers['content-type']) ?? 'text/event-stream',
          'cache-control': 'no-cache',
          // Tells nginx-style proxies in front of us not to hold events back.
          'x-accel-buffering': 'no',
        })
        .send(relay(res, caller.signal, deps, req.id));
    }
    return reply
      .code(200)
      .header('content-type', 'application/json; charset=utf-8')
      .send(await readAnswer(res, caller.signal, deps));
  };
}

async function readAnswer(
  res: Dispatcher.ResponseData,
  signal: AbortSignal,
  deps: InvokeDeps,
): Promise<string> {
  let answer: { text: string; truncated: boolean };
  try {
    answer = await readBodyText(res.body, MAX_ANSWER_BYTES);
  } catch (err) {
    throw deps.stack.bodyError(err, signal);
  }
  if (answer.truncated) {
    throw new UpstreamError(`stack server answer is larger than ${MAX_ANSWER_BYTES} bytes`, 502);
  }
  try {
    JSON.parse(answer.text);
  } catch {
    const snippet = upstreamMessage(answer.text).slice(0, 200);
    throw new UpstreamError(
      `stack server answered ${res.statusCode} with a body that is not JSON: ${snippet}`,
      502,
    );
  }
  return answer.text;
}

/**
 * Passes SSE bytes through untouched. Once the headers are out a status can no longer change, so
 * a broken upstream stream ends with one `error` event in Llama Stack's own SSE error shape.
 */
function relay(
  res: Dispatcher.ResponseData,
  signal: AbortSignal,
  deps: InvokeDeps,
  reqId: string,
): Readable {
  async function* pump(): AsyncGenerator<Buffer | string> {
    try {
      for await (const chunk of res.body) yield chunk as Buffer;
    } catch (err) {
      if (signal.aborted) return;
      const error: GatewayError = deps.stack.bodyError(err, signal);
      deps.log.warn({ reqId, err: error.message }, 'stack server stream broke off');
      yield `data: ${JSON.stringify({ error: { message: error.message } })}\n\n`;
    }
  }
  return Readable.from(pump(), { objectMode: false });
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
