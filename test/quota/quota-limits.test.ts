import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../src/errors/errors.js';
import { toHttpError } from '../../src/errors/http.js';
import { silentLogger } from '../../src/logging/logger.js';
import { createQuotaLimiter } from '../../src/quota/index.js';
import { principal, quotaConfig, rateLimited, succeeds, TestClock } from './fixtures.js';

const log = silentLogger();
/** 2026-12-04T23:59:30Z: 30 s before a day boundary. */
const LATE = Date.UTC(2026, 11, 4, 23, 59, 30);

describe('request quotas', () => {
  it('limits authenticated callers per principal with the authenticated limit', async () => {
    const clock = new TestClock(LATE);
    const q = await createQuotaLimiter(
      quotaConfig({ authenticated_max_requests: 3, anonymous_max_requests: 1 }),
      { log, authEnabled: true, now: clock.now },
    );
    const alice = principal('alice');
    // One principal from two addresses shares a budget...
    await succeeds(2, () => q.consumeRequest(alice, '10.0.0.1'));
    await q.consumeRequest(alice, '10.0.0.2');
    const err = await rateLimited(
      q.consumeRequest(alice, '10.0.0.3'),
      /^Request quota exceeded: 3 requests per day for this principal; resets at 2026-12-05T00:00:00Z$/,
    );
    assert.equal(err.headers['retry-after'], '30');
    assert.equal(toHttpError(err).headers['retry-after'], '30');
    // ...and two principals behind one address do not share one.
    await succeeds(3, () => q.consumeRequest(principal('bob'), '10.0.0.1'));
    await q.close();
  });

  it('limits anonymous callers per client address with the anonymous limit', async () => {
    const clock = new TestClock(LATE);
    const q = await createQuotaLimiter(
      quotaConfig({ authenticated_max_requests: 100, anonymous_max_requests: 2 }),
      { log, authEnabled: true, now: clock.now },
    );
    await succeeds(2, () => q.consumeRequest(undefined, '10.0.0.1'));
    await rateLimited(
      q.consumeRequest(undefined, '10.0.0.1'),
      /2 requests per day for this client address/,
    );
    await q.consumeRequest(undefined, '10.0.0.2');
    await q.consumeRequest(principal('alice'), '10.0.0.1'); // the principal has its own budget
    await q.close();
  });

  it('uses the anonymous limit per address when authentication is disabled', async () => {
    const clock = new TestClock(LATE);
    const q = await createQuotaLimiter(
      quotaConfig({ authenticated_max_requests: 100, anonymous_max_requests: 1 }),
      { log, authEnabled: false, now: clock.now },
    );
    await q.consumeRequest(principal('ignored'), '10.0.0.1');
    await rateLimited(q.consumeRequest(principal('other'), '10.0.0.1'), /1 requests per day/);
    await q.close();
  });

  it('starts a fresh window at the UTC boundary', async () => {
    const clock = new TestClock(Date.UTC(2026, 0, 1, 10, 59, 50));
    const q = await createQuotaLimiter(
      quotaConfig({ authenticated_max_requests: 1, period: 'hour' }),
      {
        log,
        authEnabled: true,
        now: clock.now,
      },
    );
    const alice = principal('alice');
    await q.consumeRequest(alice, '');
    const err = await rateLimited(
      q.consumeRequest(alice, ''),
      /1 requests per hour for this principal; resets at 2026-01-01T11:00:00Z/,
    );
    assert.equal(err.headers['retry-after'], '10');
    clock.advance(10);
    await q.consumeRequest(alice, '');
    await q.close();
  });

  it('aligns minute windows and reports the seconds left', async () => {
    const clock = new TestClock(Date.UTC(2026, 0, 1, 10, 0, 15, 500));
    const q = await createQuotaLimiter(
      quotaConfig({ anonymous_max_requests: 0, period: 'minute' }),
      {
        log,
        authEnabled: false,
        now: clock.now,
      },
    );
    const err = await rateLimited(
      q.consumeRequest(undefined, '1.1.1.1'),
      /resets at 2026-01-01T10:01:00Z/,
    );
    assert.equal(err.headers['retry-after'], '45');
    await q.close();
  });

  it('answers 503 "quota service unavailable" when the store fails', async () => {
    const q = await createQuotaLimiter(quotaConfig({}), { log, authEnabled: true });
    await q.close(); // the database is now closed: every operation fails
    const err = await q.consumeRequest(principal('a'), '').then(
      () => assert.fail('expected failure'),
      (e: unknown) => e as GatewayError,
    );
    assert.ok(err instanceof GatewayError);
    assert.equal(err.status, 503);
    assert.equal(err.message, 'quota service unavailable');
    assert.equal(err.headers['retry-after'], '5');
  });
});

describe('token quotas', () => {
  it('rejects once the period budget is spent and resets with the window', async () => {
    const clock = new TestClock(LATE);
    const q = await createQuotaLimiter(quotaConfig({ max_tokens_per_period: 1000 }), {
      log,
      authEnabled: true,
      now: clock.now,
    });
    const alice = principal('alice');
    await q.checkTokens(alice, '');
    await q.chargeTokens(alice, '', 600);
    await q.checkTokens(alice, '');
    await q.chargeTokens(alice, '', 400.2); // rounded up: 1001 used
    await q.checkTokens(principal('bob'), ''); // per principal
    const err = await rateLimited(
      q.checkTokens(alice, ''),
      /^Token quota exceeded: 1000 tokens per day for this principal; resets at 2026-12-05T00:00:00Z$/,
    );
    assert.equal(err.headers['retry-after'], '30');
    clock.advance(30);
    await q.checkTokens(alice, '');
    await q.close();
  });

  it('ignores nonsense charges and never throws from chargeTokens', async () => {
    const q = await createQuotaLimiter(quotaConfig({ max_tokens_per_period: 10 }), {
      log,
      authEnabled: true,
    });
    for (const n of [0, -5, Number.NaN, Number.POSITIVE_INFINITY])
      await q.chargeTokens(principal('a'), '', n);
    await q.checkTokens(principal('a'), '');
    await q.close();
    await q.chargeTokens(principal('a'), '', 5); // store closed: logged, not thrown
  });

  it('does nothing without max_tokens_per_period', async () => {
    const q = await createQuotaLimiter(quotaConfig({}), { log, authEnabled: true });
    await q.chargeTokens(principal('a'), '', 1e12);
    await q.checkTokens(principal('a'), '');
    await q.close();
  });
});
