import { AuthenticationError, AuthServiceUnavailableError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { DEFAULT_MAX_TOKEN_BYTES, extractBearerToken } from './bearer.js';
import { callService } from './http-client.js';
import { routedPath } from './public-routes.js';
import type { Authenticator, Principal, RequestInfo } from './types.js';

const CUSTOM_TIMEOUT_MS = 10_000;
/** Credentials of the caller are never forwarded beyond the API key itself. */
const WITHHELD_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

export interface CustomAuthenticatorDeps {
  log: Logger;
  isPublic: (req: RequestInfo) => boolean;
}

/**
 * `custom`: the bearer value is an API key that an external endpoint judges, seeing the request
 * path, headers and query. Its answer depends on the request, so it is never cached.
 *
 * TODO(auth): `claims_mapping` is not applied (attributes come from the endpoint as-is) and the
 * call uses the system CA store, since the `custom` schema has no TLS options yet.
 */
export class CustomAuthenticator implements Authenticator {
  private readonly missingMessage: string;

  constructor(
    private readonly endpoint: string,
    private readonly deps: CustomAuthenticatorDeps,
  ) {
    this.missingMessage =
      'Authentication required. Please provide your API key as a Bearer token ' +
      `(validated by ${new URL(endpoint).host})`;
  }

  async start(): Promise<void> {}

  isPublic(req: RequestInfo): boolean {
    return this.deps.isPublic(req);
  }

  async authenticate(req: RequestInfo): Promise<Principal> {
    const apiKey = extractBearerToken(req, this.missingMessage, DEFAULT_MAX_TOKEN_BYTES);
    // Split by hand: `new URL()` would read a target like `//host/x` as a host name. The path
    // is the routed one, so `/v1//chat/completions/` cannot dodge a decision about its route.
    const target = req.url.split('#', 1)[0]!;
    const query = target.indexOf('?');
    const path = routedPath(target);
    const params: Record<string, string[]> = {};
    if (query !== -1) {
      for (const [name, value] of new URLSearchParams(target.slice(query + 1))) {
        (params[name] ??= []).push(value);
      }
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || WITHHELD_HEADERS.has(name.toLowerCase())) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }

    let reply: { status: number; text: string };
    try {
      reply = await callService(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ api_key: apiKey, request: { path, headers, params } }),
        timeoutMs: CUSTOM_TIMEOUT_MS,
      });
    } catch (err) {
      throw this.unavailable(err instanceof Error ? err.message : String(err));
    }

    if ([400, 401, 403].includes(reply.status)) {
      throw new AuthenticationError(
        `Authentication failed: API key rejected (HTTP ${reply.status})`,
      );
    }
    if (reply.status !== 200) throw this.unavailable(`HTTP ${reply.status}`);
    return this.parse(reply.text);
  }

  private parse(text: string): Principal {
    let body: { principal?: unknown; attributes?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw this.unavailable('answer is not JSON');
    }
    if (typeof body?.principal !== 'string' || body.principal === '') {
      throw this.unavailable('answer has no principal');
    }
    const attributes: Record<string, string[]> = {};
    if (typeof body.attributes === 'object' && body.attributes !== null) {
      for (const [name, values] of Object.entries(body.attributes)) {
        if (Array.isArray(values)) {
          attributes[name] = values.filter((v): v is string => typeof v === 'string');
        }
      }
    }
    return { id: body.principal, attributes };
  }

  private unavailable(reason: string): AuthServiceUnavailableError {
    this.deps.log.error(
      { endpoint: this.endpoint, reason },
      'custom authentication endpoint failed',
    );
    return new AuthServiceUnavailableError(
      `authentication service unavailable: ${new URL(this.endpoint).host} did not answer properly`,
      { detail: { reason } },
    );
  }

  async close(): Promise<void> {}
}
