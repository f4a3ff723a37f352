import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ConfigError, InvalidRequestError, NotFoundError } from '../errors/errors.js';
import { toHttpError } from '../errors/http.js';
import { frameworkErrorOptions } from '../http/framework-errors.js';
import { refusedJsonReason } from '../http/json-body.js';
import { receiveTimeout } from '../http/receive-timeout.js';
import { lazyChildLogger } from '../logging/lazy-child.js';
import type { Logger } from '../logging/logger.js';
import { watchClient } from './client-gone.js';
import { installCors } from './cors.js';
import type { ServerDeps } from './deps.js';
import { fromFrameworkError } from './errors.js';
import { installIdentityHooks } from './identity-hooks.js';
import { registerMetricsRoute } from './metrics.js';
import './request-context.js';
import { installRequestLog } from './request-log.js';
import { registerLegacyInferenceRoutes } from './routes/legacy-inference.js';
import { registerMetaRoutes } from './routes/meta.js';
import type { RouteInfo } from './routes/meta.js';
import { registerModelRoutes } from './routes/models.js';
import { registerOpenAIRoutes } from './routes/openai.js';

type ParserDone = (err: Error | null, body?: unknown) => void;

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

function requestId(raw: { headers: Record<string, string | string[] | undefined> }): string {
  const given = raw.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** A TLS file named in run.yaml; one that cannot be read is a configuration error. */
function readTlsFile(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(
      `server.${key}: cannot read ${path} (${code}); fix the path in run.yaml.`,
    );
  }
}

function httpsOptions(deps: ServerDeps) {
  const { tls_certfile: cert, tls_keyfile: key, tls_cafile: ca } = deps.server;
  if (!cert || !key) return undefined;
  const options = {
    cert: readTlsFile('tls_certfile', cert),
    key: readTlsFile('tls_keyfile', key),
    // A CA bundle turns on mutual TLS: clients must present a certificate it signed.
    ...(ca
      ? { ca: readTlsFile('tls_cafile', ca), requestCert: true, rejectUnauthorized: true }
      : {}),
  };
  try {
    createSecureContext(options);
  } catch (err) {
    const files = ca ? 'tls_certfile, tls_keyfile and tls_cafile' : 'tls_certfile and tls_keyfile';
    throw new ConfigError(
      `server.${files} are not a usable PEM certificate and matching key ` +
        `(${(err as Error).message}); fix them in run.yaml.`,
    );
  }
  return options;
}

/** Builds the stack server's HTTP app. Listening is the caller's job. */
export function buildServer(deps: ServerDeps): FastifyInstance {
  const receive = receiveTimeout(deps.server.request_timeout * 1000);
  const tls = httpsOptions(deps);
  const https = tls ? { ...tls, ...receive.server } : undefined;
  const app = Fastify({
    loggerInstance: deps.log,
    // Our own onResponse hook writes the one line per request; fastify's two lines are off.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: requestId,
    childLoggerFactory: (logger, bindings, options) =>
      lazyChildLogger(logger as Logger, bindings, options),
    bodyLimit: deps.server.max_body_bytes,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    return503OnClosing: true,
    forceCloseConnections: true,
    requestTimeout: receive.requestTimeout,
    ...frameworkErrorOptions(deps.log, receive.requestTimeout),
    ...(https ? { https } : { http: receive.server }),
  }) as unknown as FastifyInstance;

  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const method of methods) if (method !== 'HEAD') routes.push({ route: r.url, method });
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    watchClient(request, reply, deps.metrics);
  });
  if (deps.server.cors) installCors(app, deps.server.cors);
  installIdentityHooks(app, deps);
  installRequestLog(app, deps.metrics);

  // Every body we accept is JSON, whatever it is labelled: curl -d sends form encoding by
  // default, and some clients say text/plain. Many clients label bodiless requests (DELETE) JSON
  // too: an empty body is no body, and routes that need one say so. The rest goes through
  // fastify's own JSON parser, which also refuses prototype-poisoning keys.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const jsonBody = (request: FastifyRequest, body: string | Buffer, done: ParserDone) => {
    if (body === '') return done(null, undefined);
    parseJson(request, body as string, (err, value) => {
      if (!err) return done(null, value);
      done(new InvalidRequestError(`${refusedJsonReason(body as string)}; send a JSON object`));
    });
  };
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, jsonBody);
  app.addContentTypeParser('*', { parseAs: 'string' }, jsonBody);

  app.setErrorHandler(async (thrown, request, reply) => {
    const err = fromFrameworkError(thrown, deps.server.max_body_bytes);
    const response = toHttpError(err);
    request.errorMessage = response.body.error.message;
    // A failure caused by the caller hanging up (the upstream call was cancelled) is not ours.
    if (request.streamAborted) request.log.info({ code: response.body.error.code }, 'client gone');
    else if (response.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.debug({ code: response.body.error.code }, response.body.error.message);
    return reply.status(response.status).headers(response.headers).send(response.body);
  });
  app.setNotFoundHandler(async (request) => {
    throw new NotFoundError(`no route for ${request.method} ${request.url.split('?', 1)[0]}`);
  });

  registerMetaRoutes(app, deps, routes);
  registerMetricsRoute(app, deps.metrics);
  registerModelRoutes(app, deps);
  registerLegacyInferenceRoutes(app, deps);
  registerOpenAIRoutes(app, deps, '/v1');
  registerOpenAIRoutes(app, deps, '/v1/openai/v1');
  return app;
}
