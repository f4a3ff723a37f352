import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { JWTVerifyOptions } from 'jose';
import { AuthenticationError } from '../errors/errors.js';
import { attributesFromClaims, principalIdFromClaims } from './claims.js';
import type { Claims } from './claims.js';
import type { OAuth2Config } from './config.js';
import type { KeySetCache } from './jwks-cache.js';
import { isoTime, show, toAuthError } from './jwt-errors.js';
import type { ExpectedClaims } from './jwt-errors.js';
import type { Principal } from './types.js';

/** Compact JWS: three base64url segments (the last may be empty only for `alg: none`). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface VerifiedToken {
  principal: Principal;
  /** Fingerprint of the key that verified the signature. */
  keyRef: string;
}

/**
 * Local JWT verification against the issuer's key set. Every check is on: signature with an
 * allow-listed algorithm (never HS* or none), exact `iss`, `aud` containing ours, `exp` required,
 * `nbf`/`iat` within the clock skew, configured required claims, and payload `typ` = Bearer.
 * Key hints in the header (`jku`, `x5u`, `jwk`, `x5c`) are never read: keys come only from the
 * configured JWKS, selected by `kid` and `alg`.
 */
export class JwtVerifier {
  private readonly expected: ExpectedClaims;
  private readonly options: JWTVerifyOptions;

  constructor(
    private readonly config: OAuth2Config,
    private readonly keys: KeySetCache,
    private readonly now: () => number,
  ) {
    this.expected = {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: config.algorithms,
    };
    this.options = {
      algorithms: [...config.algorithms],
      audience: config.audience,
      ...(config.issuer ? { issuer: config.issuer } : {}),
      clockTolerance: config.clock_skew_seconds,
      requiredClaims: [...new Set(['exp', ...config.required_claims])],
      // `crit` is left unset: jose then rejects every extension header named in `crit`.
    };
  }

  async verify(token: string): Promise<VerifiedToken> {
    if (!COMPACT_JWS.test(token)) throw new AuthenticationError('malformed token');
    let alg: string;
    try {
      const header = decodeProtectedHeader(token);
      if (typeof header.alg !== 'string') throw new Error('no alg');
      if (header.kid !== undefined && typeof header.kid !== 'string') throw new Error('bad kid');
      alg = header.alg;
    } catch {
      throw new AuthenticationError('malformed token');
    }

    let keyRef = '';
    let claims: Claims;
    try {
      const result = await jwtVerify(
        token,
        async (header) => {
          const found = await this.keys.resolve(header.kid, header.alg);
          keyRef = found.ref;
          return found.key;
        },
        { ...this.options, currentDate: new Date(this.now()) },
      );
      claims = result.payload as Claims;
    } catch (err) {
      throw toAuthError(err, alg, this.expected);
    }

    this.checkTokenKind(claims);
    return { principal: this.toPrincipal(claims), keyRef };
  }

  /** Checks jose leaves to the caller: a future `iat` and the Keycloak token kind. */
  private checkTokenKind(claims: Claims): void {
    const nowSeconds = this.now() / 1000;
    if (
      typeof claims.iat === 'number' &&
      claims.iat > nowSeconds + this.config.clock_skew_seconds
    ) {
      throw new AuthenticationError(`token issued in the future (iat ${isoTime(claims.iat)})`);
    }
    if (claims.iat !== undefined && typeof claims.iat !== 'number') {
      throw new AuthenticationError('invalid claim iat: not a number');
    }
    // Keycloak signs ID and refresh tokens too; only access tokens say Bearer.
    if (
      claims.typ !== undefined &&
      (typeof claims.typ !== 'string' || claims.typ.toLowerCase() !== 'bearer')
    ) {
      throw new AuthenticationError(`not an access token (typ=${show(claims.typ)})`);
    }
  }

  private toPrincipal(claims: Claims): Principal {
    const id = principalIdFromClaims(claims);
    if (id === undefined) {
      throw new AuthenticationError(
        'missing required claim sub (nor azp or client_id to fall back on)',
      );
    }
    return {
      id,
      attributes: attributesFromClaims(claims, this.config.claims_mapping),
      expiresAt: claims.exp as number,
    };
  }
}
