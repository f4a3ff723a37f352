import type { ServerResponse } from 'node:http';

/**
 * An error in Keycloak's OAuth dialect: `{"error": "...", "error_description": "..."}` with the
 * status Keycloak uses. The IdP speaks this dialect rather than the gateway's OpenAI envelope
 * (src/errors/http.ts) because OAuth clients (openid-client, Keycloak adapters, the tutorial's
 * token fetcher) parse exactly these fields.
 */
export class OAuthError extends Error {
  readonly status: number;
  readonly error: string;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    error: string,
    description: string,
    headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
    this.status = status;
    this.error = error;
    this.headers = headers;
  }

  /** The body Keycloak sends; the description is always written for the caller. */
  toJSON(): { error: string; error_description: string } {
    return { error: this.error, error_description: this.message };
  }
}

/** Writes a JSON body with Keycloak's cache headers (token responses must never be cached). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The single place where an OAuthError becomes a response. */
export function sendOAuthError(res: ServerResponse, err: OAuthError): void {
  sendJson(res, err.status, err.toJSON(), err.headers);
}
