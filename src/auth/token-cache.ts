import { hash } from 'node:crypto';
import type { Principal } from './types.js';

interface Entry {
  principal: Principal;
  /** Milliseconds since epoch after which the entry is dead. */
  validUntil: number;
  /** Fingerprint of the key that verified the token, when a key was involved. */
  keyRef: string | undefined;
}

export interface TokenCacheOptions {
  maxEntries: number;
  /** Upper bound on how long a verification result is reused, whatever the token's `exp`. */
  maxAgeMs: number;
  now: () => number;
}

/**
 * Verified credentials, so a busy client does not pay a signature check (or an introspection
 * round trip) per request. Keys are SHA-256 digests: the map never holds a usable token.
 *
 * An entry lives until min(exp, now + maxAge) and is dropped when the key that verified it leaves
 * the key set, so removing a key at the IdP takes effect at the next key-set load rather than at
 * token expiry. Revocation without key removal is not observed before `exp`/maxAge, which matches
 * what stateless JWT verification gives anyway.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: TokenCacheOptions) {}

  get(token: string): Principal | undefined {
    const id = digest(token);
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (this.opts.now() >= entry.validUntil) {
      this.entries.delete(id);
      return undefined;
    }
    // Re-insert so Map order approximates least-recently-used for eviction.
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.principal;
  }

  set(token: string, principal: Principal, keyRef?: string): void {
    const now = this.opts.now();
    let validUntil = now + this.opts.maxAgeMs;
    if (principal.expiresAt !== undefined) {
      validUntil = Math.min(validUntil, principal.expiresAt * 1000);
    }
    if (validUntil <= now) return;

    const id = digest(token);
    this.entries.delete(id);
    this.entries.set(id, { principal: freeze(principal), validUntil, keyRef });
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** Drops entries verified by keys that are no longer in the key set. */
  retainKeys(fingerprints: Set<string>): void {
    for (const [id, entry] of this.entries) {
      if (entry.keyRef !== undefined && !fingerprints.has(entry.keyRef)) this.entries.delete(id);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

function digest(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** The same object is handed to many requests; freezing stops one from changing another's view. */
function freeze(principal: Principal): Principal {
  for (const values of Object.values(principal.attributes)) Object.freeze(values);
  Object.freeze(principal.attributes);
  return Object.freeze(principal);
}
