import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';

export const ISSUER = 'http://127.0.0.1:8080/realms/lls-auth';
export const AUDIENCE = 'lls-client';

/** A signing key pair with its public JWK as an IdP would publish it. */
export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** Generates a real key pair (RSA 2048 by default) and its `use: sig` public JWK. */
export async function generateTestKey(
  alg = 'RS256',
  kid = `kid-${randomUUID()}`,
  options: { crv?: string; withAlg?: boolean } = {},
): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(options.crv ? { crv: options.crv } : {}),
  });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig' };
  if (options.withAlg !== false) publicJwk.alg = alg;
  return { kid, alg, privateKey, publicJwk };
}

/**
 * Keycloak's RSA-OAEP encryption key, which its JWKS usually lists before the signing key. Pass
 * `from` to reuse existing RSA material (only the labels matter to a verifier, and RSA key
 * generation is slow on a busy machine).
 */
export async function generateEncJwk(kid = `enc-${randomUUID()}`, from?: TestKey): Promise<JWK> {
  const material = from
    ? { kty: from.publicJwk.kty, n: from.publicJwk.n, e: from.publicJwk.e }
    : await exportJWK((await generateKeyPair('RSA-OAEP', { extractable: true })).publicKey);
  return { ...material, kid, use: 'enc', alg: 'RSA-OAEP' };
}

/** Claims of a Keycloak 26 client-credentials access token for `lls-client`. */
export function keycloakClaims(
  overrides: JWTPayload = {},
  nowSeconds = Date.now() / 1000,
): JWTPayload {
  const iat = Math.floor(nowSeconds);
  return {
    exp: iat + 300,
    iat,
    jti: `trrtcc:${randomUUID()}`,
    iss: ISSUER,
    aud: [AUDIENCE, 'account'],
    sub: '2f6b1f0e-3c1a-4d8e-9a57-0c1d2e3f4a5b',
    typ: 'Bearer',
    azp: AUDIENCE,
    scope: 'profile email',
    realm_access: { roles: ['default-roles-lls-auth', 'offline_access', 'lls-user'] },
    resource_access: {
      account: { roles: ['manage-account', 'view-profile'] },
      'lls-client': { roles: ['inference'] },
    },
    preferred_username: 'service-account-lls-client',
    client_id: AUDIENCE,
    ...overrides,
  };
}

/** Signs `claims` with `key`; `header` adds or overrides protected header members. */
export async function mintToken(
  key: TestKey,
  claims: JWTPayload = keycloakClaims(),
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header })
    .sign(key.privateKey);
}

export function b64url(value: unknown): string {
  const bytes = typeof value === 'string' ? Buffer.from(value) : Buffer.from(JSON.stringify(value));
  return bytes.toString('base64url');
}

/** Assembles a compact JWS from raw parts, for tokens no honest library would produce. */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  return `${b64url(header)}.${b64url(payload)}.${signature}`;
}

/**
 * RS256-signs arbitrary header and payload objects, bypassing the checks a JWT library applies
 * when producing tokens (unknown `crit`, `b64: false`, ...). `key` must be an RS256 key.
 */
export async function signRs256Raw(
  key: TestKey,
  header: unknown,
  payload: unknown,
): Promise<string> {
  const input = `${b64url(header)}.${b64url(payload)}`;
  const signature = await crypto.subtle.sign(
    'RSASSA-PKCS1-v1_5',
    key.privateKey as never,
    Buffer.from(input),
  );
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

/** The same RSA key material usable under another RSA algorithm (saves a slow key generation). */
export async function withAlgorithm(key: TestKey, alg: string, kid = key.kid): Promise<TestKey> {
  const privateKey = (await importJWK(await exportJWK(key.privateKey), alg)) as CryptoKey;
  return { kid, alg, privateKey, publicJwk: { ...key.publicJwk, kid, alg } };
}
