import assert from 'node:assert/strict';
import { authConfigSchema } from '../../src/auth/config.js';
import type { AuthConfig } from '../../src/auth/config.js';
import { createAuthenticator } from '../../src/auth/index.js';
import { OAuth2Authenticator } from '../../src/auth/oauth2-authenticator.js';
import type { RequestInfo } from '../../src/auth/types.js';
import { GatewayError } from '../../src/errors/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { AUDIENCE, ISSUER } from '../support/tokens.js';

/** `server.auth` for a JWKS-backed oauth2_token provider, parsed so defaults apply. */
export function jwtAuthConfig(
  jwksUri: string,
  provider: Record<string, unknown> = {},
  jwks: Record<string, unknown> = {},
): AuthConfig {
  return authConfigSchema.parse({
    provider_config: {
      type: 'oauth2_token',
      jwks: { uri: jwksUri, refetch_cooldown_seconds: 10, ...jwks },
      issuer: ISSUER,
      audience: AUDIENCE,
      ...provider,
    },
  });
}

/** A controllable clock (milliseconds); starts at the real time. */
export class TestClock {
  ms = Date.now();
  readonly now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export async function startedAuthenticator(
  config: AuthConfig,
  clock?: TestClock,
): Promise<OAuth2Authenticator> {
  const auth = createAuthenticator(config, {
    log: silentLogger(),
    ...(clock ? { now: clock.now } : {}),
  });
  assert.ok(auth instanceof OAuth2Authenticator);
  await auth.start();
  return auth;
}

export function bearer(token: string | undefined, url = '/v1/models'): RequestInfo {
  return {
    method: 'GET',
    url,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    ip: '127.0.0.1',
  };
}

/** Asserts the promise rejects with a GatewayError of `status` whose message matches. */
export async function rejectsWith(
  promise: Promise<unknown>,
  status: number,
  message: RegExp,
): Promise<GatewayError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof GatewayError, `expected a GatewayError, got ${String(caught)}`);
  assert.equal(caught.status, status, caught.message);
  assert.match(caught.message, message);
  return caught;
}
