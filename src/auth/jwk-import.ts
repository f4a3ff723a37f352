import { importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';

/** A verification key from the JWKS, imported once per algorithm it may verify. */
export interface SigningKey {
  kid: string | undefined;
  /** Identifies the key material; verified-token cache entries remember it. */
  fingerprint: string;
  keys: Map<string, CryptoKey>;
}

const RSA_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGS: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

/** Algorithms a public key of this type could verify, before the JWK's own `alg` narrows it. */
function candidateAlgs(jwk: JWK): string[] {
  if (jwk.kty === 'RSA') return RSA_ALGS;
  if (jwk.kty === 'EC' && jwk.crv && EC_ALGS[jwk.crv]) return [EC_ALGS[jwk.crv]!];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA'];
  return []; // `oct` (shared secrets) and anything unknown are never verification keys here
}

/** Public members only: a JWKS that leaks `d` must not turn into a private key on our side. */
function publicPart(jwk: JWK): JWK {
  const { kty, n, e, crv, x, y } = jwk;
  return Object.fromEntries(
    Object.entries({ kty, n, e, crv, x, y }).filter(([, v]) => v !== undefined),
  ) as JWK;
}

/**
 * Imports one JWKS member, or returns `undefined` for keys that must be skipped: encryption keys
 * (`use: enc`, as Keycloak lists first), keys whose `key_ops` exclude verify, symmetric keys,
 * and keys whose `alg` is not in our allow-list.
 */
export async function importSigningKey(
  jwk: JWK,
  allowed: ReadonlySet<string>,
): Promise<SigningKey | undefined> {
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return undefined;

  let algs = candidateAlgs(jwk).filter((alg) => allowed.has(alg));
  if (jwk.alg !== undefined) algs = algs.filter((alg) => alg === jwk.alg);
  if (algs.length === 0) return undefined;

  const material = publicPart(jwk);
  const keys = new Map<string, CryptoKey>();
  for (const alg of algs) {
    const key = await importJWK(material, alg);
    if (key instanceof Uint8Array) return undefined; // symmetric: cannot happen after the filters
    keys.set(alg, key);
  }
  const fingerprint = [material.kty, material.crv, material.n, material.e, material.x, material.y]
    .filter((v) => v !== undefined)
    .join(':');
  return { kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, fingerprint, keys };
}
