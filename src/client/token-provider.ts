import { request, type Dispatcher } from 'undici';
import type { Logger } from '../logging/logger.js';
import { silentLogger } from '../logging/logger.js';
import { classifyTransportError, displayUrl } from './net-errors.js';
import { readBodyText } from './read-body.js';
import type { ClientSettings } from './settings.js';
import {
  tokenAnswerError,
  tokenEndpointError,
  tokenTransportError,
  type TokenRequestContext,
} from './token-errors.js';

/** The settings the token provider reads. */
export type TokenSettings = Pick<
  ClientSettings,
  'tokenUrl' | 'clientId' | 'clientSecret' | 'clientAuth' | 'scope' | 'tokenTimeoutMs'
> &
  Partial<Pick<ClientSettings, 'clientSecretFrom'>>;

export interface TokenProviderDeps {
  dispatcher?: Dispatcher;
  log?: Logger;
  /** Clock in milliseconds; injectable so expiry can be tested without waiting. */
  now?: () => number;
}

/** Used when the token endpoint omits `expires_in`, as the tutorial does. */
const FALLBACK_LIFETIME_S = 60;
const MIN_REFRESH_MARGIN_MS = 10_000;
/** Bodies of token answers are small; anything bigger is not a token endpoint. */
const MAX_BODY_BYTES = 64 * 1024;

interface CachedToken {
  value: string;
  refreshAt: number;
}

/**
 * Client-credentials access tokens for the stack server. Tokens are cached and renewed shortly
 * before they expire; however many requests wait, at most one token request is in flight.
 */
export class TokenProvider {
  private readonly settings: TokenSettings;
  private readonly deps: TokenProviderDeps;
  private readonly log: Logger;
  private readonly now: () => number;
  private cached: CachedToken | undefined;
  private inflight: Promise<string> | undefined;

  constructor(settings: TokenSettings, deps: TokenProviderDeps = {}) {
    this.settings = settings;
    this.deps = deps;
    this.log = deps.log ?? silentLogger();
    this.now = deps.now ?? Date.now;
  }

  /** A valid access token, from the cache or freshly requested. Throws GatewayError. */
  getToken(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt)
      return Promise.resolve(this.cached.value);
    if (!this.inflight) {
      this.inflight = this.fetchToken().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  /**
   * Forgets the cached token, e.g. after the stack server rejected it. With `rejected` given, a
   * newer token that another request already fetched is kept.
   */
  invalidate(rejected?: string): void {
    if (rejected === undefined || this.cached?.value === rejected) this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const ctx: TokenRequestContext = {
      tokenUrl: this.settings.tokenUrl,
      clientId: this.settings.clientId,
      clientSecretFrom: this.settings.clientSecretFrom ?? 'options',
      timeoutMs: this.settings.tokenTimeoutMs,
    };
    const started = this.now();
    const { status, text } = await this.post(ctx);
    if (status < 200 || status > 299) {
      const error = tokenEndpointError(status, text, ctx);
      this.log.warn({ status, tokenUrl: displayUrl(ctx.tokenUrl) }, error.message);
      throw error;
    }

    const { token, lifetimeS } = parseTokenAnswer(text, ctx);
    const lifetimeMs = lifetimeS * 1000;
    // Renew when less than max(10 s, 10 %) is left, but never later than half-way, so even very
    // short-lived tokens are reused a little and never expire in flight.
    const margin = Math.min(Math.max(MIN_REFRESH_MARGIN_MS, lifetimeMs / 10), lifetimeMs / 2);
    this.cached = { value: token, refreshAt: started + lifetimeMs - margin };
    this.log.debug({ clientId: ctx.clientId, expiresIn: lifetimeS }, 'obtained access token');
    return token;
  }

  private async post(ctx: TokenRequestContext): Promise<{ status: number; text: string }> {
    const { clientId, clientSecret, clientAuth, scope } = this.settings;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (clientAuth === 'client_secret_basic') {
      // RFC 6749 §2.3.1: each half is form-urlencoded before base64, as Keycloak decodes it.
      const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    if (scope) form.set('scope', scope);

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, ctx.timeoutMs);
    try {
      const res = await request(ctx.tokenUrl, {
        method: 'POST',
        headers,
        body: form.toString(),
        signal: controller.signal,
        dispatcher: this.deps.dispatcher,
      });
      const { text } = await readBodyText(res.body, MAX_BODY_BYTES);
      return { status: res.statusCode, text };
    } catch (err) {
      const error = tokenTransportError(classifyTransportError(err, timedOut), ctx);
      this.log.warn({ tokenUrl: displayUrl(ctx.tokenUrl) }, error.message);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

function parseTokenAnswer(
  text: string,
  ctx: TokenRequestContext,
): { token: string; lifetimeS: number } {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw tokenAnswerError('with a body that is not JSON', ctx);
  }
  const token = json?.access_token;
  if (typeof token !== 'string' || token === '') {
    throw tokenAnswerError('without an access_token', ctx);
  }
  const expires = Number(json.expires_in);
  return {
    token,
    lifetimeS: Number.isFinite(expires) && expires > 0 ? expires : FALLBACK_LIFETIME_S,
  };
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
