import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { basicCredentials, single } from './http-util.js';
import { OAuthError } from './oauth-error.js';
import type { Realm, RealmClient } from './realm/model.js';

const INVALID = 'Invalid client or Invalid client credentials';

/** Compares digests so neither length nor content leaks through timing. */
export function secretsEqual(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * Keycloak's client authentication (`client-secret` authenticator): HTTP Basic or
 * `client_id` + `client_secret` in the form. Errors carry Keycloak's codes and statuses, which
 * differ from plain RFC 6749: a wrong secret is 401 `unauthorized_client`.
 */
export function authenticateClient(
  realm: Realm,
  req: IncomingMessage,
  params: URLSearchParams,
): RealmClient {
  const basic = basicCredentials(req);
  const clientId = basic?.id ?? single(params, 'client_id');
  const secret = basic?.secret ?? single(params, 'client_secret');
  if (!clientId) throw new OAuthError(400, 'invalid_client', 'Missing client_id parameter');

  // RFC 6749 §5.2: a client that tried HTTP Basic is told, on a 401, which scheme to use.
  const challenge: Record<string, string> = basic
    ? { 'www-authenticate': `Basic realm="${realm.name.replace(/["\\]/g, '\\$&')}"` }
    : {};
  const client = realm.clients.get(clientId);
  if (!client || !client.enabled) throw new OAuthError(401, 'invalid_client', INVALID, challenge);
  if (client.publicClient) return client;
  if (client.bearerOnly)
    throw new OAuthError(400, 'unauthorized_client', 'Bearer-only not allowed');

  if (secret === undefined || client.secret === undefined || !secretsEqual(client.secret, secret)) {
    throw new OAuthError(401, 'unauthorized_client', INVALID, challenge);
  }
  return client;
}
