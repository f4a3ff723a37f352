import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleIntrospect } from './endpoints/introspect.js';
import { handleLogin } from './endpoints/login.js';
import { handleCerts, handleRealmInfo } from './endpoints/public.js';
import { handleToken } from './endpoints/token.js';
import { handleUserinfo } from './endpoints/userinfo.js';
import { OAuthError, sendJson, sendOAuthError } from './oauth-error.js';
import { CLIENT_GONE, clientGone } from './http-util.js';
import { LOGIN_PATH, ROUTES } from './provider/config.js';
import type { IdpState } from './state.js';
import type { Logger } from '../logging/logger.js';

type Handler = (state: IdpState, req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Hand-written endpoints by realm-relative path, with the methods each accepts.
 * TODO(idp): no `/revoke` (RFC 7009) endpoint yet; it is not advertised in discovery either.
 */
const OWN_ROUTES = new Map<string, { methods: string[]; handler: Handler }>([
  ['', { methods: ['GET'], handler: (s, _q, r) => handleRealmInfo(s, r) }],
  [ROUTES.token, { methods: ['POST'], handler: handleToken }],
  [ROUTES.jwks, { methods: ['GET'], handler: (s, _q, r) => handleCerts(s, r) }],
  [ROUTES.introspection, { methods: ['POST'], handler: handleIntrospect }],
  [ROUTES.userinfo, { methods: ['GET', 'POST'], handler: handleUserinfo }],
]);

/**
 * The realm-relative paths oidc-provider answers, with their methods: discovery, the browser login
 * (with its resume path) and logout (with its confirm and done pages). Matched exactly, as
 * Keycloak matches its paths; oidc-provider's own router ignores case, which would let `/TOKEN` or
 * `/CERTS` reach its versions of endpoints that this server answers itself.
 */
const FORWARDED: Array<[RegExp, string[]]> = [
  [/^\/\.well-known\/openid-configuration$/, ['GET']],
  [new RegExp(`^${ROUTES.authorization}(?:/[A-Za-z0-9_-]+)?$`), ['GET']],
  [new RegExp(`^${ROUTES.end_session}$`), ['GET', 'POST']],
  [new RegExp(`^${ROUTES.end_session}/confirm$`), ['POST']],
  [new RegExp(`^${ROUTES.end_session}/success$`), ['GET']],
];

const NO_SUCH_PATH = { error: 'Unable to find matching target resource method' };

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function methodNotAllowed(allowed: string[]): OAuthError {
  return new OAuthError(405, 'invalid_request', 'HTTP 405 Method Not Allowed', {
    allow: allowed.join(', '),
  });
}

async function route(state: IdpState, req: IncomingMessage, res: ServerResponse, path: string) {
  if (path === '/health' || path === '/health/ready' || path === '/health/live') {
    return sendJson(res, 200, { status: 'UP', checks: [] });
  }
  const match = /^\/realms\/([^/]+)(\/.*)?$/.exec(path);
  if (!match) return sendJson(res, 404, NO_SUCH_PATH);
  if (safeDecode(match[1]!) !== state.realm.name) {
    return sendJson(res, 404, { error: 'Realm does not exist' });
  }

  const rest = (match[2] ?? '').replace(/\/$/, '');
  const own = OWN_ROUTES.get(rest);
  if (own) {
    if (!own.methods.includes(req.method ?? '')) throw methodNotAllowed(own.methods);
    return own.handler(state, req, res);
  }
  if (rest.startsWith(`${LOGIN_PATH}/`)) {
    return handleLogin(state, rest.slice(LOGIN_PATH.length + 1), req, res);
  }

  const forwarded = FORWARDED.find(([path]) => path.test(rest));
  if (!forwarded) return sendJson(res, 404, NO_SUCH_PATH);
  const methods = forwarded[1];
  // HEAD is answered like GET by Node (headers only).
  const method = req.method === 'HEAD' ? 'GET' : (req.method ?? '');
  if (!methods.includes(method)) throw methodNotAllowed(methods);
  return state.forward(req, res);
}

/**
 * The IdP's request handler: routes by path, turns errors into Keycloak-style bodies, and logs
 * one line per request (method, path without query, status, duration). Query strings are never
 * logged because they carry codes and state.
 */
export function createRequestHandler(getState: () => IdpState | undefined, log: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0]!;
    // Interaction ids in paths are login-session handles; the log does not need them.
    const logPath = path.replace(/\/(login-actions|openid-connect\/auth)\/[^/]+/, '/$1/:uid');
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        method: req.method,
        path: logPath,
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
      };
      if (res.statusCode >= 500) log.error(line, 'request');
      else log.info(line, 'request');
    });

    const state = getState();
    if (!state) {
      sendJson(res, 503, {
        error: 'temporarily_unavailable',
        error_description: 'IdP is starting',
      });
      return;
    }
    route(state, req, res, path).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof OAuthError) return sendOAuthError(res, err);
      if (clientGone(req)) return void log.info({ method: req.method, path: logPath }, CLIENT_GONE);
      log.error({ err }, 'IdP request failed');
      sendJson(res, 500, { error: 'server_error', error_description: 'internal server error' });
    });
  };
}
