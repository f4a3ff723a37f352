import type { RequestInfo } from './types.js';

/**
 * Percent-escapes that would make our view of the path differ from the router's (encoded slash,
 * backslash, NUL, or a second layer of encoding). Any of them makes a route non-public.
 */
const SUSPICIOUS_ESCAPES = /%(2f|5c|00|25)/i;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Canonical form of a request target's path for the public-route check, or `undefined` when the
 * path is odd enough that we refuse to call it public. Decodes once, collapses duplicate slashes,
 * strips one trailing slash and drops the query string; comparison stays case-sensitive.
 */
export function normalisePath(target: string): string | undefined {
  const query = target.indexOf('?');
  const rawPath = query === -1 ? target : target.slice(0, query);
  if (!rawPath.startsWith('/')) return undefined; // absolute-form or asterisk-form targets
  if (/[#;\\]/.test(rawPath) || SUSPICIOUS_ESCAPES.test(rawPath)) return undefined;

  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (CONTROL_CHARS.test(path) || /[#;?\\]/.test(path)) return undefined;

  path = path.replace(/\/{2,}/g, '/');
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return undefined;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/**
 * The path the router dispatches a request target on, for services that judge requests by path
 * (`custom` endpoints): the origin of an absolute-form target dropped, query and fragment cut,
 * then canonical as `normalisePath` makes it. Paths too odd for that are returned as they are;
 * the router finds no route for them.
 */
export function routedPath(target: string): string {
  const origin = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  let path = origin ? target.slice(origin[0].length) : target;
  const end = path.search(/[?#]/);
  if (end !== -1) path = path.slice(0, end);
  if (path === '') path = '/';
  return normalisePath(path) ?? path;
}

/** Matcher for `public_routes`: exact paths, GET (and HEAD, which the router answers as GET). */
export function createPublicRouteMatcher(routes: readonly string[]): (req: RequestInfo) => boolean {
  const allowed = new Set<string>();
  for (const route of routes) {
    const normalised = normalisePath(route);
    if (normalised !== undefined) allowed.add(normalised);
  }
  return (req) => {
    const method = req.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return false;
    const path = normalisePath(req.url);
    return path !== undefined && allowed.has(path);
  };
}
