import type { Principal, QuotaLimiter } from '../auth/types.js';
import { GatewayError, RateLimitError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import type { QuotaConfig } from './config.js';
import type { CounterStore } from './store.js';
import { currentWindow, formatReset } from './windows.js';
import type { QuotaWindow } from './windows.js';

export interface LimiterDeps {
  log: Logger;
  authEnabled: boolean;
  now: () => number;
}

interface Subject {
  key: string;
  authenticated: boolean;
}

/**
 * Fixed-window request and token quotas. Callers are counted by principal id once authenticated
 * and by client address otherwise; requests rejected by authentication never get here.
 *
 * A store failure fails closed with 503: failing open would silently lift every limit for as
 * long as the store is down, and Llama Stack's own 500 hides that the condition is temporary.
 */
export class WindowQuotaLimiter implements QuotaLimiter {
  private readonly prefix: string;

  constructor(
    private readonly config: QuotaConfig,
    private readonly store: CounterStore,
    private readonly deps: LimiterDeps,
  ) {
    this.prefix = `${config.kvstore.namespace ?? 'quota'}:${config.period}`;
  }

  async consumeRequest(principal: Principal | undefined, clientIp: string): Promise<void> {
    const subject = this.subject(principal, clientIp);
    const window = currentWindow(this.config.period, this.deps.now());
    const limit = subject.authenticated
      ? this.config.authenticated_max_requests
      : this.config.anonymous_max_requests;

    const count = await this.guard(() =>
      this.store.increment(
        `${this.prefix}:req:${subject.key}:${window.index}`,
        1,
        window.resetsAtMs,
      ),
    );
    if (count > limit) {
      throw this.exceeded('Request', `${limit} requests`, subject, window);
    }
  }

  // TODO(quota): concurrent generations all pass this check before any is charged, so a budget
  // can be overshot by up to (parallel requests - 1) answers; a reservation would need max_tokens.
  async checkTokens(principal: Principal | undefined, clientIp: string): Promise<void> {
    const budget = this.config.max_tokens_per_period;
    if (!budget) return;
    const subject = this.subject(principal, clientIp);
    const window = currentWindow(this.config.period, this.deps.now());
    const used = await this.guard(() => this.store.get(this.tokenKey(subject, window)));
    if (used >= budget) throw this.exceeded('Token', `${budget} tokens`, subject, window);
  }

  async chargeTokens(
    principal: Principal | undefined,
    clientIp: string,
    tokens: number,
  ): Promise<void> {
    if (!this.config.max_tokens_per_period || !(tokens > 0) || !Number.isFinite(tokens)) return;
    const subject = this.subject(principal, clientIp);
    const window = currentWindow(this.config.period, this.deps.now());
    try {
      await this.store.increment(
        this.tokenKey(subject, window),
        Math.ceil(tokens),
        window.resetsAtMs,
      );
    } catch (err) {
      // Usage is already delivered; losing the charge is better than failing the response.
      this.deps.log.error({ err: (err as Error).message, tokens }, 'could not record token usage');
    }
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private subject(principal: Principal | undefined, clientIp: string): Subject {
    if (this.deps.authEnabled && principal) {
      return { key: `principal:${encodeURIComponent(principal.id)}`, authenticated: true };
    }
    return { key: `ip:${encodeURIComponent(clientIp || 'anonymous')}`, authenticated: false };
  }

  private tokenKey(subject: Subject, window: QuotaWindow): string {
    return `${this.prefix}:tok:${subject.key}:${window.index}`;
  }

  private exceeded(
    kind: string,
    limit: string,
    subject: Subject,
    window: QuotaWindow,
  ): RateLimitError {
    const who = subject.authenticated ? 'this principal' : 'this client address';
    const retryAfter = (window.resetsAtMs - this.deps.now()) / 1000;
    return new RateLimitError(
      `${kind} quota exceeded: ${limit} per ${this.config.period} for ${who}; ` +
        `resets at ${formatReset(window.resetsAtMs)}`,
      retryAfter,
    );
  }

  private async guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message }, 'quota store failed');
      throw new GatewayError('upstream_unavailable', 503, 'quota service unavailable', {
        detail: err,
        headers: { 'retry-after': '5' },
      });
    }
  }
}
