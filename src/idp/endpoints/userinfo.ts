import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, readForm } from '../http-util.js';
import { OAuthError, sendJson } from '../oauth-error.js';
import type { IdpState } from '../state.js';

function invalidToken(realm: string, description: string): OAuthError {
  const challenge =
    `Bearer realm="${realm}", error="invalid_token", ` + `error_description="${description}"`;
  return new OAuthError(401, 'invalid_token', description, { 'www-authenticate': challenge });
}

/**
 * `GET|POST /protocol/openid-connect/userinfo` with a bearer access token. Hand-written because
 * oidc-provider's userinfo only accepts its own opaque tokens.
 */
export async function handleUserinfo(state: IdpState, req: IncomingMessage, res: ServerResponse) {
  let token = bearerToken(req);
  if (!token && req.method === 'POST') {
    token = (await readForm(req)).params.get('access_token') ?? undefined;
  }
  if (!token) throw invalidToken(state.realm.name, 'Missing token');

  const claims = await state.signer.verifyRs256(token);
  if (!claims || claims.typ !== 'Bearer')
    throw invalidToken(state.realm.name, 'Token verification failed');
  const user = state.realm.usersById.get(String(claims.sub));
  if (!user?.enabled) throw invalidToken(state.realm.name, 'User not found or disabled');

  const scopes = String(claims.scope ?? '').split(' ');
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  sendJson(res, 200, {
    sub: user.id,
    ...(scopes.includes('email') ? { email_verified: user.emailVerified } : {}),
    ...(scopes.includes('profile') && name ? { name } : {}),
    ...(scopes.includes('profile') ? { preferred_username: user.username } : {}),
    ...(scopes.includes('profile') && user.firstName ? { given_name: user.firstName } : {}),
    ...(scopes.includes('profile') && user.lastName ? { family_name: user.lastName } : {}),
    ...(scopes.includes('email') && user.email ? { email: user.email } : {}),
  });
}
