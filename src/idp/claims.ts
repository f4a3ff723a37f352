import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { Realm, RealmClient, RealmUser } from './realm/model.js';

/** Who a token is for and in which context; the input of every claim builder. */
export interface TokenSubject {
  realm: Realm;
  issuer: string;
  client: RealmClient;
  user: RealmUser;
  /** Granted scopes, `openid` first when present (see scopes.ts). */
  scopes: string[];
  /** User sessions only (password and code grants); service-account sessions are transient. */
  session?: { id: string; authTime: number };
  /** Caller's IP, which Keycloak puts into service-account tokens. */
  clientAddress?: string;
}

/**
 * Keycloak's audience rules: the client's Audience mappers first, then (the built-in Audience
 * Resolve mapper) every other client the user holds roles of, which is where `account` comes
 * from. One value is serialised as a string, none as no claim at all.
 */
export function audienceFor(client: RealmClient, user: RealmUser): string | string[] | undefined {
  const aud = [...client.audiences];
  for (const [clientId, roles] of Object.entries(user.clientRoles)) {
    if (clientId !== client.clientId && roles.length > 0 && !aud.includes(clientId))
      aud.push(clientId);
  }
  if (aud.length === 0) return undefined;
  return aud.length === 1 ? aud[0] : aud;
}

function resourceAccess(user: RealmUser): Record<string, { roles: string[] }> | undefined {
  const entries = Object.entries(user.clientRoles).filter(([, roles]) => roles.length > 0);
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([id, roles]) => [id, { roles }]));
}

/** Profile and e-mail claims, gated by the scopes as Keycloak's mappers gate them. */
function identityClaims(s: TokenSubject): JWTPayload {
  const { user, scopes } = s;
  const out: JWTPayload = {};
  if (scopes.includes('email')) out.email_verified = user.emailVerified;
  if (scopes.includes('profile')) {
    const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
    if (name) out.name = name;
    out.preferred_username = user.username;
    if (user.firstName) out.given_name = user.firstName;
    if (user.lastName) out.family_name = user.lastName;
  }
  if (scopes.includes('email') && user.email) out.email = user.email;
  return out;
}

/** The access-token payload, in Keycloak's claim order; `iat`/`exp`/`jti` included. */
export function accessTokenClaims(s: TokenSubject, now: number): JWTPayload {
  const { client, user, session } = s;
  const serviceAccount = user.serviceAccountClientId !== undefined;
  const payload: JWTPayload = {
    exp: now + client.accessTokenLifespan,
    iat: now,
    ...(session ? { auth_time: session.authTime } : {}),
    jti: randomUUID(),
    iss: s.issuer,
    aud: audienceFor(client, user),
    sub: user.id,
    typ: 'Bearer',
    azp: client.clientId,
    ...(session ? { sid: session.id, acr: '1' } : {}),
    realm_access: user.realmRoles.length > 0 ? { roles: user.realmRoles } : undefined,
    resource_access: resourceAccess(user),
    scope: s.scopes.join(' '),
    ...(serviceAccount && s.clientAddress ? { clientHost: s.clientAddress } : {}),
    ...identityClaims(s),
    ...(serviceAccount ? { client_id: client.clientId } : {}),
    ...(serviceAccount && s.clientAddress ? { clientAddress: s.clientAddress } : {}),
  };
  for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
  return payload;
}

/** ID token: `aud` is the client, `typ` is `ID` (which verifiers use to refuse it as a bearer). */
export function idTokenClaims(s: TokenSubject, now: number, nonce?: string): JWTPayload {
  const lifespan = s.client.accessTokenLifespan;
  return {
    exp: now + lifespan,
    iat: now,
    ...(s.session ? { auth_time: s.session.authTime } : {}),
    jti: randomUUID(),
    iss: s.issuer,
    aud: s.client.clientId,
    sub: s.user.id,
    typ: 'ID',
    azp: s.client.clientId,
    ...(nonce ? { nonce } : {}),
    ...(s.session ? { sid: s.session.id, acr: '1' } : {}),
    ...identityClaims(s),
  };
}

/** Refresh-token payload (HS512-signed, `aud` = issuer), as Keycloak issues it. */
export function refreshTokenClaims(s: TokenSubject, now: number): JWTPayload {
  const idle = s.realm.ssoSessionIdleTimeout;
  const sessionEnd = (s.session?.authTime ?? now) + s.realm.ssoSessionMaxLifespan;
  return {
    exp: Math.min(now + idle, sessionEnd),
    iat: now,
    jti: randomUUID(),
    iss: s.issuer,
    aud: s.issuer,
    sub: s.user.id,
    typ: 'Refresh',
    azp: s.client.clientId,
    ...(s.session ? { sid: s.session.id, auth_time: s.session.authTime } : {}),
    scope: s.scopes.join(' '),
  };
}
