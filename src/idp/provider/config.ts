import type { Configuration } from 'oidc-provider';
import type { KeyMaterial } from '../keys.js';
import type { Realm, RealmUser } from '../realm/model.js';
import { SUPPORTED_SCOPES } from '../scopes.js';
import { errorPage, loggedOutPage, logoutPage } from './pages.js';

/** Keycloak's endpoint paths, relative to the realm URL where the provider is mounted. */
export const ROUTES = {
  authorization: '/protocol/openid-connect/auth',
  token: '/protocol/openid-connect/token',
  jwks: '/protocol/openid-connect/certs',
  userinfo: '/protocol/openid-connect/userinfo',
  end_session: '/protocol/openid-connect/logout',
  introspection: '/protocol/openid-connect/token/introspect',
  revocation: '/protocol/openid-connect/revoke',
} as const;

export const LOGIN_PATH = '/login-actions';

/** Clients that may use the browser flow; only these are registered with oidc-provider. */
function providerClients(realm: Realm): Configuration['clients'] {
  return [...realm.clients.values()]
    .filter((c) => c.enabled && c.standardFlowEnabled && !c.bearerOnly && c.redirectUris.length > 0)
    .map((c) => ({
      client_id: c.clientId,
      ...(c.secret !== undefined ? { client_secret: c.secret } : {}),
      // The token endpoint authenticates clients itself and always forwards credentials in the
      // form (endpoints/token.ts), so one method per client is enough here.
      token_endpoint_auth_method: c.publicClient ? 'none' : 'client_secret_post',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.redirectUris,
    }));
}

function identity(user: RealmUser, scope: string): { sub: string; [claim: string]: unknown } {
  const scopes = scope.split(' ');
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return {
    sub: user.id,
    ...(scopes.includes('profile')
      ? {
          preferred_username: user.username,
          name: name || undefined,
          given_name: user.firstName,
          family_name: user.lastName,
        }
      : {}),
    ...(scopes.includes('email') ? { email: user.email, email_verified: user.emailVerified } : {}),
  };
}

/**
 * oidc-provider configuration for a Keycloak-shaped realm: Keycloak paths, the realm's browser
 * clients, persisted keys and cookie secrets, consent skipped (Keycloak's default for clients
 * without "consent required"), and plain pages instead of the development ones.
 */
export function providerConfiguration(
  realm: Realm,
  material: KeyMaterial,
  adapter: NonNullable<Configuration['adapter']>,
): Configuration {
  return {
    adapter,
    clients: providerClients(realm),
    jwks: { keys: material.signing.map((k) => ({ ...k.jwk })) as never },
    cookies: { keys: material.cookieKeys },
    routes: { ...ROUTES },
    scopes: SUPPORTED_SCOPES,
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    responseTypes: ['code'],
    pkce: {
      // Public clients always; confidential ones when the realm file asks, as Keycloak does.
      required: (_ctx, client) =>
        client.clientAuthMethod === 'none' ||
        realm.clients.get(client.clientId)?.pkceRequired === true,
    },
    features: {
      devInteractions: { enabled: false },
      // Pushed authorization requests would authenticate clients oidc-provider's way, not
      // Keycloak's; nothing in the product needs them.
      pushedAuthorizationRequests: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body = loggedOutPage();
        },
      },
    },
    ttl: {
      AccessToken: realm.accessTokenLifespan,
      AuthorizationCode: 60,
      IdToken: realm.accessTokenLifespan,
      Interaction: 1800,
      Session: realm.ssoSessionMaxLifespan,
      Grant: realm.ssoSessionMaxLifespan,
      RefreshToken: realm.ssoSessionIdleTimeout,
    },
    interactions: {
      url: (_ctx, interaction) => `/realms/${realm.name}${LOGIN_PATH}/${interaction.uid}`,
    },
    async loadExistingGrant(ctx) {
      const { oidc } = ctx;
      const grantId =
        oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(oidc.client!.clientId);
      if (grantId) return oidc.provider.Grant.find(grantId);
      if (!oidc.session?.accountId) return undefined;
      const grant = new oidc.provider.Grant({
        clientId: oidc.client!.clientId,
        accountId: oidc.session.accountId,
      });
      grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, sub) {
      const user = realm.usersById.get(sub);
      if (!user?.enabled || user.serviceAccountClientId !== undefined) return undefined;
      return { accountId: sub, claims: (_use, scope) => identity(user, scope) };
    },
    clientBasedCORS: () => false,
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = errorPage(String(out.error), out.error_description);
    },
  };
}
