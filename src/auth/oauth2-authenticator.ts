import type { Dispatcher } from 'undici';
import { ConfigError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { DEFAULT_MAX_TOKEN_BYTES, extractBearerToken } from './bearer.js';
import type { OAuth2Config } from './config.js';
import { createTlsDispatcher } from './http-client.js';
import { IntrospectionVerifier } from './introspection.js';
import { KeySetCache } from './jwks-cache.js';
import { listOf } from './jwt-errors.js';
import { JwtVerifier } from './jwt-verifier.js';
import { VerifiedTokenCache } from './token-cache.js';
import type { Authenticator, Principal, RequestInfo } from './types.js';

const MISSING_TOKEN = 'Authentication required. Please provide a valid OAuth2 Bearer token';
const DEFAULT_JWKS_TIMEOUT_S = 5;
const DEFAULT_REFETCH_COOLDOWN_S = 10;
const TOKEN_CACHE_ENTRIES = 10_000;
/** JWT results are reused up to 5 min (Keycloak's whole access-token lifetime). */
const JWT_CACHE_MAX_AGE_MS = 300_000;
/** Introspection exists to notice revocation, so its answers are reused for less. */
const INTROSPECTION_CACHE_MAX_AGE_MS = 60_000;

export interface OAuth2AuthenticatorDeps {
  log: Logger;
  isPublic: (req: RequestInfo) => boolean;
  now: () => number;
}

/**
 * `oauth2_token`: bearer JWTs verified locally against a JWKS, or opaque tokens checked by RFC 7662
 * introspection. Successful results are cached by token digest; failures never are, and nothing
 * here counts requests (quota happens after authentication, keyed by principal).
 */
export class OAuth2Authenticator implements Authenticator {
  private readonly cache: VerifiedTokenCache;
  private readonly keys: KeySetCache | undefined;
  private readonly verifyToken: (
    token: string,
  ) => Promise<{ principal: Principal; keyRef?: string }>;
  private readonly missingMessage: string;
  private readonly maxTokenBytes: number;
  private readonly dispatcher: Dispatcher;
  /** Counters for metrics and tests: full verifications vs answers served from the cache. */
  readonly stats = { verifications: 0, cacheHits: 0 };

  constructor(
    config: OAuth2Config,
    private readonly deps: OAuth2AuthenticatorDeps,
  ) {
    if (!config.jwks === !config.introspection) {
      throw new ConfigError(
        config.jwks
          ? 'server.auth.provider_config: configure only one of jwks or introspection'
          : 'server.auth.provider_config: one of jwks or introspection must be configured',
      );
    }
    if (!config.issuer) {
      deps.log.warn('server.auth.provider_config.issuer is not set: token issuers are not checked');
    }
    this.maxTokenBytes = config.max_token_bytes ?? DEFAULT_MAX_TOKEN_BYTES;
    const dispatcher = createTlsDispatcher(config.verify_tls, config.tls_cafile);
    this.dispatcher = dispatcher;

    if (config.jwks) {
      this.cache = new VerifiedTokenCache({
        maxEntries: TOKEN_CACHE_ENTRIES,
        maxAgeMs: JWT_CACHE_MAX_AGE_MS,
        now: deps.now,
      });
      const keys = new KeySetCache({
        uri: config.jwks.uri,
        token: config.jwks.token,
        algorithms: config.algorithms,
        timeoutMs: (config.jwks.timeout_seconds ?? DEFAULT_JWKS_TIMEOUT_S) * 1000,
        cooldownMs: (config.jwks.refetch_cooldown_seconds ?? DEFAULT_REFETCH_COOLDOWN_S) * 1000,
        refreshMs: config.jwks.key_recheck_period * 1000,
        dispatcher,
        log: deps.log,
        now: deps.now,
        onKeysLoaded: (fingerprints) => this.cache.retainKeys(fingerprints),
      });
      const verifier = new JwtVerifier(config, keys, deps.now);
      this.keys = keys;
      this.verifyToken = (token) => verifier.verify(token);
      this.missingMessage = config.issuer
        ? `${MISSING_TOKEN} from ${listOf(config.issuer)}`
        : `${MISSING_TOKEN} in the Authorization header`;
    } else {
      const introspection = config.introspection!;
      this.cache = new VerifiedTokenCache({
        maxEntries: TOKEN_CACHE_ENTRIES,
        maxAgeMs: INTROSPECTION_CACHE_MAX_AGE_MS,
        now: deps.now,
      });
      const verifier = new IntrospectionVerifier(
        config,
        introspection,
        dispatcher,
        deps.log,
        deps.now,
      );
      this.verifyToken = async (token) => ({ principal: await verifier.verify(token) });
      this.missingMessage = config.issuer
        ? `${MISSING_TOKEN} from ${listOf(config.issuer)}`
        : `${MISSING_TOKEN} validated by ${new URL(introspection.url).host}`;
    }
  }

  async start(): Promise<void> {
    await this.keys?.start();
  }

  isPublic(req: RequestInfo): boolean {
    return this.deps.isPublic(req);
  }

  async authenticate(req: RequestInfo): Promise<Principal> {
    const token = extractBearerToken(req, this.missingMessage, this.maxTokenBytes);
    const cached = this.cache.get(token);
    if (cached) {
      this.stats.cacheHits++;
      return cached;
    }

    this.stats.verifications++;
    const { principal, keyRef } = await this.verifyToken(token);
    this.cache.set(token, principal, keyRef);
    return principal;
  }

  async close(): Promise<void> {
    this.keys?.close();
    this.cache.clear();
    await this.dispatcher.close();
  }
}
