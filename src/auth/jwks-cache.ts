import type { CryptoKey, JWK } from 'jose';
import type { Dispatcher } from 'undici';
import { AuthenticationError, AuthServiceUnavailableError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { callService, ServiceUnreachableError } from './http-client.js';
import { importSigningKey } from './jwk-import.js';
import { show } from './jwt-errors.js';
import type { SigningKey } from './jwk-import.js';

/** Most keys we load from one set; a real IdP publishes a handful. */
const MAX_KEYS = 50;

export interface KeySetOptions {
  uri: string;
  /** Sent as `Authorization: Bearer` when fetching (Kubernetes-style JWKS endpoints). */
  token?: string;
  algorithms: readonly string[];
  timeoutMs: number;
  /** Minimum gap between fetches caused by unknown key ids (and retries while the IdP is down). */
  cooldownMs: number;
  /** Background refresh interval (`key_recheck_period`). */
  refreshMs: number;
  dispatcher?: Dispatcher;
  log: Logger;
  now: () => number;
  /** Called after each successful load with the fingerprints of the keys now trusted. */
  onKeysLoaded?: (fingerprints: Set<string>) => void;
}

/**
 * The issuer's signing keys, held in memory. We keep our own cache instead of jose's
 * `createRemoteJWKSet` because we need stale-if-error (a failed refresh keeps the last good keys),
 * a shared in-flight fetch with a cooldown for unknown-`kid` refetches, and a clean split between
 * "IdP unreachable" (503) and "token names a key that does not exist" (401).
 */
export class KeySetCache {
  private keys: SigningKey[] = [];
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  /** Reason the most recent fetch failed; `undefined` after a success. */
  private lastFailure: string | undefined = 'key set not loaded yet';
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly allowed: Set<string>;

  constructor(private readonly opts: KeySetOptions) {
    this.allowed = new Set(opts.algorithms);
  }

  /** First load plus the background refresh timer. A failed first load is logged, not thrown. */
  async start(): Promise<void> {
    await this.refresh().catch(() => undefined);
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.opts.refreshMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Number of loaded verification keys (for health reporting and tests). */
  get size(): number {
    return this.keys.length;
  }

  /**
   * The key for a token header. An unknown `kid` triggers at most one refetch per cooldown;
   * concurrent misses share the same fetch. Throws 401 when the key does not exist and 503
   * when we cannot tell because the IdP is unreachable.
   */
  async resolve(kid: string | undefined, alg: string): Promise<{ key: CryptoKey; ref: string }> {
    let found = this.find(kid, alg);
    if (!found && (this.inflight || this.opts.now() - this.lastAttemptAt >= this.opts.cooldownMs)) {
      await this.refresh().catch(() => undefined);
      found = this.find(kid, alg);
    }
    if (found) return found;

    if (this.lastFailure !== undefined) {
      // The key set's address is for the log (detail), not for callers.
      throw new AuthServiceUnavailableError(
        'authentication service unavailable: cannot load signing keys from the identity provider',
        { detail: { jwks: this.opts.uri, reason: this.lastFailure } },
      );
    }
    if (kid === undefined) {
      throw new AuthenticationError(`token has no kid and no single key matches algorithm ${alg}`);
    }
    const hint = this.keys.some((k) => k.kid === kid) ? ` for algorithm ${alg}` : '';
    // The kid is attacker-chosen and ends up in WWW-Authenticate: printable and short only.
    throw new AuthenticationError(
      `unknown signing key (kid ${show(kid)})${hint}: ` +
        "the issuer's keys rotated or the token comes from another issuer",
    );
  }

  private find(kid: string | undefined, alg: string): { key: CryptoKey; ref: string } | undefined {
    const usable = this.keys.filter((k) => k.keys.has(alg) && (kid === undefined || k.kid === kid));
    // Without a kid we only guess when the guess is unambiguous.
    // TODO(auth): try each candidate for kid-less tokens when several keys fit (some mocks omit
    // kid).
    if (usable.length !== 1 && (kid === undefined || usable.length === 0)) return undefined;
    const chosen = usable[0]!;
    return { key: chosen.keys.get(alg)!, ref: chosen.fingerprint };
  }

  /** Fetches the key set now, or joins the fetch already running. */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.lastAttemptAt = this.opts.now();
    try {
      const keys = await this.fetchKeys();
      this.keys = keys;
      this.lastFailure = undefined;
      this.opts.log.debug({ jwks: this.opts.uri, keys: keys.length }, 'signing keys loaded');
      this.opts.onKeysLoaded?.(new Set(keys.map((k) => k.fingerprint)));
    } catch (err) {
      this.lastFailure = err instanceof Error ? err.message : String(err);
      const kept = this.keys.length;
      this.opts.log.error(
        { jwks: this.opts.uri, reason: this.lastFailure, keptKeys: kept },
        kept > 0
          ? 'signing key refresh failed; keeping the last good keys'
          : 'cannot load signing keys; authenticated requests answer 503 until this works',
      );
      throw err;
    }
  }

  private async fetchKeys(): Promise<SigningKey[]> {
    const headers: Record<string, string> = {
      accept: 'application/jwk-set+json, application/json',
    };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    const reply = await callService(this.opts.uri, {
      method: 'GET',
      headers,
      timeoutMs: this.opts.timeoutMs,
      dispatcher: this.opts.dispatcher,
    });
    if (reply.status !== 200) throw new ServiceUnreachableError(`HTTP ${reply.status}`);

    let members: unknown;
    try {
      members = (JSON.parse(reply.text) as { keys?: unknown }).keys;
    } catch {
      throw new ServiceUnreachableError('answer is not JSON');
    }
    if (!Array.isArray(members)) throw new ServiceUnreachableError('answer has no "keys" array');

    const keys: SigningKey[] = [];
    for (const member of members.slice(0, MAX_KEYS)) {
      try {
        const key = await importSigningKey(member as JWK, this.allowed);
        if (key) keys.push(key);
      } catch (err) {
        // One broken member must not take the whole set down.
        this.opts.log.warn({ jwks: this.opts.uri, kid: (member as JWK)?.kid, err }, 'skipping JWK');
      }
    }
    return keys;
  }
}
