import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_PUBLIC_ROUTES } from '../auth/config.js';
import { createPublicRouteMatcher } from '../auth/public-routes.js';
import type { RequestInfo } from '../auth/types.js';
import type { ServerDeps } from './deps.js';

const isAuthorization = (name: string) =>
  name.length === 13 && name.toLowerCase() === 'authorization';

/** Every Authorization header of the request, in order (Node's `headers` keeps the first). */
function authorizationHeaders(rawHeaders: string[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (isAuthorization(rawHeaders[i]!)) found.push(rawHeaders[i + 1]!);
  }
  return found;
}

function requestInfo(request: FastifyRequest, url: string): RequestInfo {
  // Node keeps only the first of repeated Authorization headers. Hand them all over so the
  // authenticator refuses the ambiguity: a proxy in front of us may have judged the other one.
  // (A scan of rawHeaders: `headersDistinct` would copy every header of every request.)
  const all = authorizationHeaders(request.raw.rawHeaders);
  const headers = all.length > 1 ? { ...request.headers, authorization: all } : request.headers;
  return { method: request.method, url, headers, ip: request.ip };
}

/**
 * Drops the bearer credential from the request once it has been verified. Nothing after
 * authentication reads it, and otherwise every open stream would keep its token (often over a
 * kilobyte) in memory for its whole life, and in any heap dump taken meanwhile.
 */
function forgetAuthorization(request: FastifyRequest): void {
  const raw = request.raw;
  const names = raw.rawHeaders;
  for (let i = 0; i < names.length; i += 2) if (isAuthorization(names[i]!)) names[i + 1] = '';
  delete raw.headers.authorization;
}

/**
 * Authentication, then quota, run before the body is even read, for every route the router
 * knows and for unknown paths too; only the configured public routes skip them. Whether a route
 * is public is decided on the route the router actually matched, so spelling variants of a path
 * (`//v1//health/`, `%68ealth`) cannot reach a handler without the check that handler requires.
 */
export function installIdentityHooks(app: FastifyInstance, deps: ServerDeps): void {
  const { auth, quota } = deps;
  if (!auth && !quota) return;
  // Without auth, health and version still stay out of the anonymous quota: a load balancer or
  // liveness probe polling them would otherwise be refused (and the server restarted) once the
  // limit of its address is spent.
  const publicRoute = auth
    ? (req: RequestInfo) => auth.isPublic(req)
    : createPublicRouteMatcher(DEFAULT_PUBLIC_ROUTES);
  app.addHook('onRequest', async (request) => {
    const matched = request.routeOptions.url;
    const isPublic = matched !== undefined && publicRoute(requestInfo(request, matched));
    if (auth && !isPublic) {
      request.principal = await auth.authenticate(requestInfo(request, request.url));
      forgetAuthorization(request);
    }
    if (quota && !isPublic) await quota.consumeRequest(request.principal, request.ip);
  });
}
