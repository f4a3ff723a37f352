import { SignJWT, createLocalJWKSet, importJWK, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import type { KeyMaterial } from './keys.js';
import { publicJwks } from './keys.js';

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * Signs and verifies the IdP's own tokens with the current key material. `setKeys` swaps the
 * material atomically (after a rotation), so the newest key signs from then on while every
 * published key still verifies.
 */
export class TokenSigner {
  readonly issuer: string;
  #material!: KeyMaterial;
  #signKey!: SigningKey;
  #hmacKey!: Uint8Array;
  #jwks!: JWTVerifyGetKey;

  private constructor(issuer: string) {
    this.issuer = issuer;
  }

  static async create(issuer: string, material: KeyMaterial): Promise<TokenSigner> {
    const signer = new TokenSigner(issuer);
    await signer.setKeys(material);
    return signer;
  }

  async setKeys(material: KeyMaterial): Promise<void> {
    const signKey = await importJWK(material.signing[0]!.jwk, 'RS256');
    this.#hmacKey = Buffer.from(material.hmac.secret, 'base64url');
    this.#jwks = createLocalJWKSet(publicJwks(material));
    this.#signKey = signKey;
    this.#material = material;
  }

  get material(): KeyMaterial {
    return this.#material;
  }

  get activeKid(): string {
    return this.#material.signing[0]!.kid;
  }

  /** RS256 with Keycloak's header: `{alg, typ: "JWT", kid}` (never `at+jwt`). */
  signRs256(payload: JWTPayload): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.activeKid })
      .sign(this.#signKey);
  }

  /** HS512 with the HMAC key's id, as Keycloak signs refresh tokens. */
  signHs512(payload: JWTPayload): Promise<string> {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS512', typ: 'JWT', kid: this.#material.hmac.kid })
      .sign(this.#hmacKey);
  }

  /** Verifies an RS256 token of this issuer; undefined for anything invalid or expired. */
  async verifyRs256(token: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.#jwks, {
        issuer: this.issuer,
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      return payload;
    } catch {
      return undefined;
    }
  }

  /** Verifies a refresh token of this issuer; undefined for anything invalid or expired. */
  async verifyHs512(token: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.#hmacKey, {
        issuer: this.issuer,
        audience: this.issuer,
        algorithms: ['HS512'],
        requiredClaims: ['exp', 'sub', 'azp'],
      });
      return payload.typ === 'Refresh' ? payload : undefined;
    } catch {
      return undefined;
    }
  }
}
