import { createHash } from 'node:crypto';
import { accessTokenClaims, idTokenClaims, refreshTokenClaims } from './claims.js';
import type { TokenSubject } from './claims.js';
import type { TokenSigner } from './signer.js';

/** A token endpoint success body, field for field what Keycloak returns. */
export interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_expires_in: number;
  refresh_token?: string;
  token_type: 'Bearer';
  id_token?: string;
  'not-before-policy': number;
  session_state?: string;
  scope: string;
}

/** OIDC `at_hash`: left half of the SHA-256 of the access token, base64url. */
function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface IssueOptions {
  /** Session-bound grants (password, code, refresh) get a refresh token; client_credentials not. */
  refresh: boolean;
  nonce?: string;
}

/** Mints the access token (and refresh/ID tokens where the grant calls for them). */
export async function issueTokens(
  signer: TokenSigner,
  subject: TokenSubject,
  options: IssueOptions,
): Promise<TokenResponse> {
  const now = Math.floor(Date.now() / 1000);
  const access = accessTokenClaims(subject, now);
  const accessToken = await signer.signRs256(access);
  let refreshToken: string | undefined;
  let refreshExpiresIn = 0;
  if (options.refresh) {
    const refresh = refreshTokenClaims(subject, now);
    refreshToken = await signer.signHs512(refresh);
    refreshExpiresIn = (refresh.exp as number) - now;
  }
  let idToken: string | undefined;
  if (subject.scopes.includes('openid')) {
    const id = { ...idTokenClaims(subject, now, options.nonce), at_hash: atHash(accessToken) };
    idToken = await signer.signRs256(id);
  }

  return {
    access_token: accessToken,
    expires_in: subject.client.accessTokenLifespan,
    refresh_expires_in: refreshExpiresIn,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    token_type: 'Bearer',
    ...(idToken ? { id_token: idToken } : {}),
    'not-before-policy': 0,
    ...(subject.session ? { session_state: subject.session.id } : {}),
    scope: subject.scopes.join(' '),
  };
}
