import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_PUBLIC_ROUTES } from '../auth/config.js';
import { createPublicRouteMatcher } from '../auth/public-routes.js';
import type { RequestInfo } from '../auth/types.js';
import type { ServerDeps } from './deps.js';

const isAuthorization = (header: string) =>
  header.length === 13 && header.toLowerCase() === 'authorization';

/** Where the values of the request's Authorization headers are in `rawHeaders`, in order. */
function authorizationSlots(rawHeaders: string[]): number[] {
  const slots: number[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (isAuthorization(rawHeaders[i]!)) slots.push(i + 1);
  }
  return slots;
}

/**
 * The request as the authenticator sees it. Node keeps only the first of repeated Authorization
 * headers; all of them are handed over so the authenticator refuses the ambiguity (a proxy in
 * front of us may have judged the other one). A scan of rawHeaders: `headersDistinct` would copy
 * every header of every request.
 */
function requestInfo(request: FastifyRequest, url: string, slots: number[]): RequestInfo {
  const raw = request.raw.rawHeaders;
  const headers =
    slots.length > 1
      ? { ...request.headers, authorization: slots.map((i) => raw[i]!) }
      : request.headers;
  return { method: request.method, url, headers, ip: request.ip };
}

/**
 * Drops the bearer credential from the request once it has been verified. Nothing after
 * authentication reads it, and otherwise every open stream would keep its token (often over a
 * kilobyte) in memory for its whole life, and in any heap dump taken meanwhile.
 */
function forgetAuthorization(request: FastifyRequest, slots: number[]): void {
  const raw = request.raw;
  for (const i of slots) raw.rawHeaders[i] = '';
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
    const slots = authorizationSlots(request.raw.rawHeaders);
    const isPublic = matched !== undefined && publicRoute(requestInfo(request, matched, slots));
    if (auth && !isPublic) {
      request.principal = await auth.authenticate(requestInfo(request, request.url, slots));
      forgetAuthorization(request, slots);
    }
    if (quota && !isPublic) await quota.consumeRequest(request.principal, request.ip);
  });
}
