import { AuthenticationError } from '../errors/errors.js';
import type { RequestInfo } from './types.js';

/**
 * Node's default `http.maxHeaderSize`; larger headers never reach us unless the server raises
 * it.
 */
export const DEFAULT_MAX_TOKEN_BYTES = 16 * 1024;

/**
 * No credentials at all: RFC 6750 §3.1 says the challenge then carries no error code. A subclass
 * because AuthenticationError's constructor turns an explicit `undefined` into its default.
 */
export class MissingCredentialsError extends AuthenticationError {
  override readonly bearerError = undefined;
}

/** RFC 6750 §2.1 `b64token`: the only characters a bearer credential may contain. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Pulls the bearer credential out of `Authorization`. `missingMessage` is the provider-specific
 * "authentication required" text; a missing header carries no RFC 6750 error code so that clients
 * treat it as a plain challenge. Everything else that is wrong is `invalid_request`.
 */
export function extractBearerToken(
  req: RequestInfo,
  missingMessage: string,
  maxTokenBytes: number,
): string {
  const raw = req.headers.authorization;
  if (raw === undefined) throw new MissingCredentialsError(missingMessage);
  if (Array.isArray(raw)) {
    throw new AuthenticationError('send exactly one Authorization header', 'invalid_request');
  }

  const value = raw.trim();
  if (value === '')
    throw new AuthenticationError('Authorization header is empty', 'invalid_request');
  // Checked before any parsing so an oversized header costs no more than its length.
  if (value.length > maxTokenBytes + 16) throw tooLarge(value.length, maxTokenBytes);

  const space = value.search(/\s/);
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    throw new AuthenticationError(
      'Invalid Authorization header format: use "Authorization: Bearer <token>"',
      'invalid_request',
    );
  }

  const token = space === -1 ? '' : value.slice(space).trim();
  if (token === '') {
    throw new AuthenticationError(
      'Authorization header has an empty Bearer token',
      'invalid_request',
    );
  }
  if (Buffer.byteLength(token) > maxTokenBytes) throw tooLarge(token.length, maxTokenBytes);
  if (!B64TOKEN.test(token)) throw new AuthenticationError('malformed token', 'invalid_token');
  return token;
}

function tooLarge(size: number, limit: number): AuthenticationError {
  return new AuthenticationError(
    `token too large (${size} bytes, limit ${limit})`,
    'invalid_token',
  );
}
