import type { Logger } from '../logging/logger.js';
import type { AuthConfig } from './config.js';
import { CustomAuthenticator } from './custom-authenticator.js';
import { OAuth2Authenticator } from './oauth2-authenticator.js';
import { createPublicRouteMatcher } from './public-routes.js';
import type { Authenticator } from './types.js';

export { createAccessPolicy } from './policy/access-policy.js';
export { normalisePath } from './public-routes.js';
export type * from './types.js';

export interface AuthenticatorDeps {
  log: Logger;
  /** Clock in milliseconds since epoch; tests inject one to move time. */
  now?: () => number;
}

/**
 * Builds the authenticator for `server.auth`. Throws ConfigError for unusable configuration;
 * call `start()` before serving (it loads the signing keys; a failure there is logged and
 * requests answer 503 until the identity provider is reachable).
 */
export function createAuthenticator(config: AuthConfig, deps: AuthenticatorDeps): Authenticator {
  const isPublic = createPublicRouteMatcher(config.public_routes);
  const provider = config.provider_config;
  if (provider.type === 'custom') {
    return new CustomAuthenticator(provider.endpoint, { log: deps.log, isPublic });
  }
  return new OAuth2Authenticator(provider, { log: deps.log, isPublic, now: deps.now ?? Date.now });
}
