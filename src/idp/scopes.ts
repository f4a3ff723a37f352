import { OAuthError } from './oauth-error.js';

/**
 * Keycloak's built-in client scopes. Default scopes are always applied; optional ones only when
 * requested. Only scopes marked "include in token scope" appear in the `scope` claim, which is
 * why `roles`, `web-origins`, `acr`, `basic` and `service_account` never show up there.
 */
const DEFAULT_IN_TOKEN = ['profile', 'email'];
const DEFAULT_HIDDEN = ['roles', 'web-origins', 'acr', 'basic', 'service_account'];
const OPTIONAL = ['address', 'phone', 'offline_access', 'microprofile-jwt', 'organization'];

export const SUPPORTED_SCOPES = ['openid', ...DEFAULT_IN_TOKEN, ...DEFAULT_HIDDEN, ...OPTIONAL];

/** Granted scopes for a request (`openid` first when asked for); unknown ones are a 400. */
export function resolveScopes(requested: string | undefined): string[] {
  const asked = (requested ?? '').split(' ').filter(Boolean);
  const unknown = asked.filter((s) => !SUPPORTED_SCOPES.includes(s));
  if (unknown.length > 0)
    throw new OAuthError(400, 'invalid_scope', `Invalid scopes: ${asked.join(' ')}`);
  const granted: string[] = [];
  if (asked.includes('openid')) granted.push('openid');
  granted.push(...DEFAULT_IN_TOKEN);
  for (const scope of OPTIONAL) if (asked.includes(scope)) granted.push(scope);
  return granted;
}
