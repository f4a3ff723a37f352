import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenSubject } from '../claims.js';
import { authenticateClient, secretsEqual } from '../client-auth.js';
import { readForm, single } from '../http-util.js';
import { issueTokens } from '../issue.js';
import { OAuthError, sendJson } from '../oauth-error.js';
import { findUser } from '../realm/model.js';
import type { RealmClient } from '../realm/model.js';
import { resolveScopes } from '../scopes.js';
import { peerAddress } from '../state.js';
import type { IdpState } from '../state.js';

const GRANTS = ['client_credentials', 'password', 'refresh_token', 'authorization_code'] as const;
type Grant = (typeof GRANTS)[number];

/**
 * `POST /protocol/openid-connect/token`. Client authentication, client_credentials, password and
 * refresh_token are handled here so errors carry Keycloak's codes and the tokens its shape;
 * authorization_code is passed on to oidc-provider (which owns codes, PKCE and sessions) after
 * the client has been authenticated the Keycloak way. See provider/glue.ts for the other half.
 */
export async function handleToken(state: IdpState, req: IncomingMessage, res: ServerResponse) {
  const { params } = await readForm(req);
  const grantType = single(params, 'grant_type');
  if (!grantType)
    throw new OAuthError(400, 'invalid_request', 'Missing form parameter: grant_type');
  if (!(GRANTS as readonly string[]).includes(grantType)) {
    throw new OAuthError(400, 'unsupported_grant_type', 'Unsupported grant_type');
  }
  const client = authenticateClient(state.realm, req, params);

  switch (grantType as Grant) {
    case 'client_credentials':
      return sendJson(res, 200, await clientCredentials(state, req, client, params));
    case 'password':
      return sendJson(res, 200, await password(state, client, params));
    case 'refresh_token':
      return sendJson(res, 200, await refresh(state, client, params));
    case 'authorization_code':
      return authorizationCode(state, req, res, client, params);
  }
}

async function clientCredentials(
  state: IdpState,
  req: IncomingMessage,
  client: RealmClient,
  params: URLSearchParams,
) {
  if (client.publicClient) {
    throw new OAuthError(
      401,
      'unauthorized_client',
      'Public client not allowed to retrieve service account',
    );
  }
  if (!client.serviceAccountsEnabled) {
    throw new OAuthError(
      401,
      'unauthorized_client',
      'Client not enabled to retrieve service account',
    );
  }
  const user = state.realm.serviceAccounts.get(client.clientId);
  if (!user?.enabled) throw new OAuthError(400, 'invalid_grant', 'Service account user disabled');
  const subject: TokenSubject = {
    realm: state.realm,
    issuer: state.issuer,
    client,
    user,
    scopes: resolveScopes(single(params, 'scope')).filter((s) => s !== 'openid'),
    clientAddress: peerAddress(req),
  };
  return issueTokens(state.signer, subject, { refresh: false });
}

async function password(state: IdpState, client: RealmClient, params: URLSearchParams) {
  if (!client.directAccessGrantsEnabled) {
    throw new OAuthError(400, 'unauthorized_client', 'Client not allowed for direct access grants');
  }
  const username = single(params, 'username');
  const given = single(params, 'password');
  if (!username) throw new OAuthError(401, 'invalid_request', 'Missing parameter: username');

  const user = findUser(state.realm, username);
  const ok =
    user !== undefined &&
    user.serviceAccountClientId === undefined &&
    user.password !== undefined &&
    given !== undefined &&
    secretsEqual(user.password, given);
  if (!ok) throw new OAuthError(401, 'invalid_grant', 'Invalid user credentials');
  if (!user.enabled) throw new OAuthError(400, 'invalid_grant', 'Account disabled');
  // Keycloak 24+ refuses direct grants until the profile is complete.
  if (user.setupPending || !user.email || !user.firstName || !user.lastName) {
    throw new OAuthError(400, 'invalid_grant', 'Account is not fully set up');
  }

  const subject: TokenSubject = {
    realm: state.realm,
    issuer: state.issuer,
    client,
    user,
    scopes: resolveScopes(single(params, 'scope')),
    session: { id: randomUUID(), authTime: Math.floor(Date.now() / 1000) },
  };
  return issueTokens(state.signer, subject, { refresh: true });
}

async function refresh(state: IdpState, client: RealmClient, params: URLSearchParams) {
  const token = single(params, 'refresh_token');
  if (!token) throw new OAuthError(400, 'invalid_request', 'Missing parameter: refresh_token');
  // TODO(idp): refresh tokens are stateless, so a logout does not revoke them; Keycloak would
  // answer invalid_grant "Session not active". Needs a session store shared with oidc-provider.
  const claims = await state.signer.verifyHs512(token);
  if (!claims) throw new OAuthError(400, 'invalid_grant', 'Invalid refresh token');
  if (claims.azp !== client.clientId) {
    throw new OAuthError(
      400,
      'invalid_grant',
      "Invalid refresh token. Token client and authorized client don't match",
    );
  }
  const user = state.realm.usersById.get(String(claims.sub));
  if (!user) throw new OAuthError(400, 'invalid_grant', 'User not found');
  if (!user.enabled) throw new OAuthError(400, 'invalid_grant', 'User disabled');

  const sid = typeof claims.sid === 'string' ? claims.sid : randomUUID();
  const authTime = typeof claims.auth_time === 'number' ? claims.auth_time : Number(claims.iat);
  const subject: TokenSubject = {
    realm: state.realm,
    issuer: state.issuer,
    client,
    user,
    scopes: resolveScopes(typeof claims.scope === 'string' ? claims.scope : undefined),
    session: { id: sid, authTime },
  };
  return issueTokens(state.signer, subject, { refresh: true });
}

async function authorizationCode(
  state: IdpState,
  req: IncomingMessage,
  res: ServerResponse,
  client: RealmClient,
  params: URLSearchParams,
): Promise<void> {
  if (!client.standardFlowEnabled) {
    throw new OAuthError(400, 'unauthorized_client', 'Client not allowed to exchange code');
  }
  // oidc-provider only knows each client under one auth method (see provider/clients.ts), so
  // the already-verified credentials are passed on in the form, whichever way they arrived.
  const form = new URLSearchParams(params);
  form.delete('client_secret');
  form.set('client_id', client.clientId);
  if (client.secret !== undefined) form.set('client_secret', client.secret);
  delete req.headers.authorization;
  await state.forward(req, res, form);
}
