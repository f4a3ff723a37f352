import type { IncomingMessage } from 'node:http';
import { OAuthError } from './oauth-error.js';

/** Token and introspection bodies are tiny; anything larger is abuse. */
const MAX_FORM_BYTES = 64 * 1024;

export interface FormBody {
  raw: Buffer;
  params: URLSearchParams;
}

/** Reads an `application/x-www-form-urlencoded` body; other types are rejected with 400. */
export async function readForm(req: IncomingMessage): Promise<FormBody> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    // Drain so the connection can be reused.
    req.resume();
    throw new OAuthError(
      400,
      'invalid_request',
      'Content-Type must be application/x-www-form-urlencoded',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES)
      throw new OAuthError(413, 'invalid_request', 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  return { raw, params: new URLSearchParams(raw.toString('utf8')) };
}

/** The single value of a form parameter; a duplicate is a 400, as in Keycloak. */
export function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1)
    throw new OAuthError(400, 'invalid_request', `duplicated parameter: ${name}`);
  const value = values[0];
  return value === '' ? undefined : value;
}

/**
 * HTTP Basic client credentials, decoded the RFC 6749 §2.3.1 way (each half form-urlencoded
 * before base64), which is what Keycloak and openid-client do.
 */
export function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const header = req.headers.authorization;
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0)
    throw new OAuthError(400, 'invalid_request', 'Malformed Basic authorization header');
  const unescape = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
}

/** `Bearer <token>` from the Authorization header, if present. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header ? /^bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/** Logged, at info, for a request whose client hung up before it was read: no failure of ours. */
export const CLIENT_GONE = 'client went away before its request was read';

/** Whether the client of `req` has hung up. */
export function clientGone(req: IncomingMessage): boolean {
  return req.destroyed || req.socket?.destroyed === true;
}
