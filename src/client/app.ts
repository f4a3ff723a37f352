import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import {
  GatewayError,
  InternalError,
  InvalidRequestError,
  NotFoundError,
} from '../errors/errors.js';
import { toHttpError } from '../errors/http.js';
import { frameworkErrorOptions } from '../http/framework-errors.js';
import { refusedJsonReason } from '../http/json-body.js';
import { receiveTimeout } from '../http/receive-timeout.js';
import type { Logger } from '../logging/logger.js';
import { checkHealth } from './health.js';
import { invokeHandler } from './invoke-route.js';
import type { ClientSettings } from './settings.js';
import type { StackClient } from './stack-client.js';

export interface ClientAppDeps {
  settings: ClientSettings;
  stack: StackClient;
  log: Logger;
  dispatcher?: Dispatcher;
}

/** Prompts with a long history fit comfortably; anything bigger is a mistake. */
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * The fastify app of the client service, not yet listening.
 *
 * TODO(client): no inbound authentication, as in the tutorial: whoever reaches the port acts as
 * the service account. The default bind address is 127.0.0.1 for that reason.
 */
export function createClientApp(deps: ClientAppDeps): FastifyInstance {
  const receive = receiveTimeout(deps.settings.requestTimeoutMs);
  const app = Fastify({
    logger: false,
    requestTimeout: receive.requestTimeout,
    ...frameworkErrorOptions(deps.log, receive.requestTimeout),
    http: receive.server,
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestId,
    // On shutdown, drop every connection at once: otherwise a client's spare keep-alive socket
    // that never carried a request holds close() open for about a minute.
    forceCloseConnections: true,
  });
  const failures = new WeakMap<FastifyRequest, GatewayError>();

  installJsonParser(app);
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    logWhenClosed(req, reply, deps.log, failures);
    done();
  });
  app.setErrorHandler((err, req, reply) => {
    const error = normalizeError(err);
    failures.set(req, error);
    const http = toHttpError(error);
    return reply.code(http.status).headers(http.headers).send(http.body);
  });
  app.setNotFoundHandler((req) => {
    throw new NotFoundError(
      `no route for ${req.method} ${pathOf(req.url)}: ` +
        'this service answers POST /api/invoke and GET /health',
    );
  });

  app.post(
    '/api/invoke',
    invokeHandler({
      stack: deps.stack,
      defaultModel: deps.settings.model,
      chatEndpoint: deps.settings.chatEndpoint,
      log: deps.log,
    }),
  );
  app.route({
    method: ['GET', 'PUT', 'PATCH', 'DELETE'],
    url: '/api/invoke',
    handler: async () => {
      throw new GatewayError(
        'method_not_allowed',
        405,
        'use POST /api/invoke with {"prompt": "..."}',
        {
          headers: { allow: 'POST' },
        },
      );
    },
  });
  // 200 even when degraded: this service is alive, and each dependency's state is in the body.
  app.get('/health', async () => checkHealth(deps.settings, deps.dispatcher));
  return app;
}

/**
 * Any content type is read as JSON: the tutorial's callers often omit the header (`curl -d`),
 * and a clear 400 about the body beats a 415 about a header.
 */
function installJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'ignore');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, text, done) => {
    if (typeof text !== 'string' || text.trim() === '') return done(null, undefined);
    parseJson(req, text, (err, value) => {
      if (!err) return done(null, value);
      done(
        new InvalidRequestError(`${refusedJsonReason(text)}: send {"prompt": "..."} as JSON`),
        undefined,
      );
    });
  });
}

/** Fastify's own 4xx errors keep their status; anything unexpected is an opaque 500. */
function normalizeError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new GatewayError(
      'payload_too_large',
      413,
      `request body is larger than ${BODY_LIMIT_BYTES} bytes; shorten the prompt or history`,
    );
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new InvalidRequestError(String(e.message ?? 'bad request'));
  }
  return new InternalError(err);
}

/** One line per request, written when the response is finished or the caller hung up. */
function logWhenClosed(
  req: FastifyRequest,
  reply: FastifyReply,
  log: Logger,
  failures: WeakMap<FastifyRequest, GatewayError>,
): void {
  const started = performance.now();
  reply.raw.once('close', () => {
    const error = failures.get(req);
    const line: Record<string, unknown> = {
      reqId: req.id,
      method: req.method,
      path: pathOf(req.url),
      // Hung up before any answer: nginx's 499 "client closed request", not fastify's default 200.
      status: reply.raw.headersSent ? reply.statusCode : 499,
      durationMs: Math.round(performance.now() - started),
    };
    if (!reply.raw.writableFinished) line.aborted = true;
    if (error) line.error = error.expose ? error.message : 'internal server error';
    if (error?.detail !== undefined && error.status >= 500) line.detail = loggable(error.detail);

    if ((line.status as number) >= 500) log.error(line, 'request failed');
    else log.info(line, 'request completed');
  });
}

/** pino prints Error objects under keys other than `err` as `{}`. */
function loggable(detail: unknown): unknown {
  return detail instanceof Error ? { message: detail.message, stack: detail.stack } : detail;
}

function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
