import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerMetrics } from './metrics.js';

const accessLoggers = new WeakMap<FastifyBaseLogger, FastifyBaseLogger>();

/**
 * The logger request lines go through: the server's, without the redaction pass. A request line
 * is built from an allow-list of fields that never hold a credential, and pino's wildcard
 * redaction paths cost several microseconds per line whatever the line holds (the request-log
 * micro-benchmarks in bench/micro/translate.ts). Every other line keeps redaction.
 */
function accessLogger(request: FastifyRequest): FastifyBaseLogger {
  const root = request.server.log;
  let access = accessLoggers.get(root);
  if (!access) {
    access = root.child({}, { redact: { paths: [] } });
    accessLoggers.set(root, access);
  }
  return access;
}

/**
 * Writes the one log line of a request and counts it in the metrics, once, however the request
 * ended: answered (onResponse), or abandoned by its client (client-gone.ts, onRequestAbort). A
 * client that left before the status line was sent is logged and counted as 499, as nginx does.
 */
export function logRequest(
  request: FastifyRequest,
  reply: FastifyReply,
  metrics: ServerMetrics,
): void {
  if (request.logged) return;
  request.logged = true;
  const status = request.streamAborted && !reply.raw.headersSent ? 499 : reply.statusCode;
  metrics.observeResponse(request, status, reply.elapsedTime);
  const line = {
    reqId: request.id,
    method: request.method,
    path: request.url.split('?', 1)[0],
    status,
    durationMs: Math.round(reply.elapsedTime * 100) / 100,
    principal: request.principal?.id,
    ...(request.errorMessage ? { error: request.errorMessage } : {}),
    ...(request.streamError ? { streamError: request.streamError } : {}),
    ...(request.streamAborted ? { clientAborted: true } : {}),
  };
  const log = accessLogger(request);
  if ((status >= 500 && !request.streamAborted) || request.streamError) log.error(line, 'request');
  else log.info(line, 'request');
}

export function installRequestLog(app: FastifyInstance, metrics: ServerMetrics): void {
  // A client that leaves before its answer is complete never lets the response finish: its line is
  // written by watchClient (client-gone.ts) when the connection closes.
  app.addHook('onResponse', async (request, reply) => logRequest(request, reply, metrics));
}
