import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerMetrics } from './metrics.js';

/**
 * Writes the one log line of a request and counts it in the metrics, once, however the request
 * ended: answered (onResponse), abandoned mid-stream (the SSE writer calls it), or abandoned
 * before any answer (onRequestAbort).
 */
export function logRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  metrics: ServerMetrics,
): void {
  if (request.logged) return;
  request.logged = true;
  metrics.observeResponse(request, reply);
  const status = reply.statusCode;
  const line = {
    method: request.method,
    path: request.url.split('?', 1)[0],
    status,
    durationMs: Math.round(reply.elapsedTime * 100) / 100,
    principal: request.principal?.id,
    ...(request.errorMessage ? { error: request.errorMessage } : {}),
    ...(request.streamError ? { streamError: request.streamError } : {}),
    ...(request.streamAborted ? { clientAborted: true } : {}),
  };
  if ((status >= 500 && !request.streamAborted) || request.streamError) {
    request.log.error(line, 'request');
  } else request.log.info(line, 'request');
}

export function installRequestLog(app: FastifyInstance, metrics: ServerMetrics): void {
  app.addHook('onResponse', async (request, reply) => logRequest(request, reply, metrics));
  // A client that leaves before any answer was sent gets no onResponse; still log its line.
  app.addHook('onRequestAbort', async (request: FastifyRequest) => {
    if (request.logged) return;
    request.logged = true;
    const path = request.url.split('?', 1)[0];
    request.log.info({ method: request.method, path, status: 499, clientAborted: true }, 'request');
  });
}
