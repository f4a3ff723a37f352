/** The realm as the IdP uses it at run time: resolved defaults, expanded roles, stable ids. */

export interface RealmClient {
  clientId: string;
  enabled: boolean;
  secret: string | undefined;
  publicClient: boolean;
  bearerOnly: boolean;
  serviceAccountsEnabled: boolean;
  directAccessGrantsEnabled: boolean;
  standardFlowEnabled: boolean;
  redirectUris: string[];
  /** Client attribute `pkce.code.challenge.method` set: browser logins must use PKCE. */
  pkceRequired: boolean;
  /** Seconds; the client attribute `access.token.lifespan`, else the realm's. */
  accessTokenLifespan: number;
  /** From `oidc-audience-mapper`s with `access.token.claim` on, in file order. */
  audiences: string[];
}

export interface RealmUser {
  id: string;
  username: string;
  enabled: boolean;
  email: string | undefined;
  emailVerified: boolean;
  firstName: string | undefined;
  lastName: string | undefined;
  /** Plain-text password from the realm file; undefined when none (or only a hash) is given. */
  password: string | undefined;
  /** Temporary passwords and required actions block direct grants, as in Keycloak. */
  setupPending: boolean;
  /** Effective realm roles (composites expanded), in a stable order. */
  realmRoles: string[];
  /** Effective client roles per client id (composites expanded). */
  clientRoles: Record<string, string[]>;
  serviceAccountClientId: string | undefined;
}

export interface Realm {
  name: string;
  enabled: boolean;
  accessTokenLifespan: number;
  ssoSessionIdleTimeout: number;
  ssoSessionMaxLifespan: number;
  clients: Map<string, RealmClient>;
  /** Keyed by lower-cased username. */
  users: Map<string, RealmUser>;
  usersById: Map<string, RealmUser>;
  /** Service-account user per client id. */
  serviceAccounts: Map<string, RealmUser>;
}

/** Username lookup as Keycloak does it: case-insensitive, and the e-mail address works too. */
export function findUser(realm: Realm, login: string): RealmUser | undefined {
  const key = login.toLowerCase();
  const byName = realm.users.get(key);
  if (byName) return byName;
  for (const user of realm.users.values()) {
    if (user.email?.toLowerCase() === key && !user.serviceAccountClientId) return user;
  }
  return undefined;
}
