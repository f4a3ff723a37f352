import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateClient } from '../client-auth.js';
import { readForm, single } from '../http-util.js';
import { OAuthError, sendJson } from '../oauth-error.js';
import type { IdpState } from '../state.js';

/**
 * `POST /protocol/openid-connect/token/introspect` in Keycloak's shape. Hand-written because
 * oidc-provider refuses to introspect JWT access tokens. Access tokens (RS256) and refresh
 * tokens (HS512) of this issuer are recognised; anything else is `{"active": false}`.
 */
export async function handleIntrospect(state: IdpState, req: IncomingMessage, res: ServerResponse) {
  const { params } = await readForm(req);
  let client;
  try {
    client = authenticateClient(state.realm, req, params);
  } catch (err) {
    // Keycloak answers every client-authentication failure here with the same 401.
    if (!(err instanceof OAuthError)) throw err;
    throw new OAuthError(401, 'invalid_request', 'Authentication failed.', err.headers);
  }
  if (client.publicClient) throw new OAuthError(403, 'invalid_request', 'Client not allowed.');
  const token = single(params, 'token');
  if (!token) throw new OAuthError(400, 'invalid_request', 'Token not provided.');

  const hint = single(params, 'token_type_hint');
  const claims =
    hint === 'refresh_token'
      ? ((await state.signer.verifyHs512(token)) ?? (await state.signer.verifyRs256(token)))
      : ((await state.signer.verifyRs256(token)) ?? (await state.signer.verifyHs512(token)));
  const user = claims ? state.realm.usersById.get(String(claims.sub)) : undefined;
  if (!claims || !user?.enabled) return sendJson(res, 200, { active: false });

  sendJson(res, 200, {
    ...claims,
    client_id: claims.azp,
    username: user.username,
    token_type: 'Bearer',
    active: true,
  });
}
