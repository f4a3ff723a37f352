import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ConfigError } from '../../src/errors/errors.js';
import { silentLogger } from '../../src/logging/logger.js';
import { createQuotaLimiter } from '../../src/quota/index.js';
import { principal, quotaConfig, rateLimited, TestClock } from './fixtures.js';

describe('SQLite quota store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'llamagate-quota-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const log = silentLogger();

  it('keeps counts across a limiter restart, creating parent directories', async () => {
    const dbPath = join(dir, 'nested', 'state', 'quota.db');
    const config = quotaConfig({
      kvstore: { type: 'sqlite', db_path: dbPath },
      authenticated_max_requests: 2,
    });
    const clock = new TestClock(Date.UTC(2026, 5, 1, 12));
    const first = await createQuotaLimiter(config, { log, authEnabled: true, now: clock.now });
    await first.consumeRequest(principal('alice'), '');
    await first.consumeRequest(principal('alice'), '');
    await first.close();

    const second = await createQuotaLimiter(config, { log, authEnabled: true, now: clock.now });
    await rateLimited(second.consumeRequest(principal('alice'), ''), /2 requests per day/);
    await second.close();

    const db = new Database(dbPath, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('deletes counters of past windows', async () => {
    const dbPath = join(dir, 'expiry.db');
    const config = quotaConfig({ kvstore: { type: 'sqlite', db_path: dbPath }, period: 'minute' });
    const clock = new TestClock(Date.UTC(2026, 5, 1, 12));
    const q = await createQuotaLimiter(config, { log, authEnabled: true, now: clock.now });
    await q.consumeRequest(principal('a'), '');
    await q.consumeRequest(undefined, '10.0.0.9');
    await q.close();

    clock.advance(120);
    const reopened = await createQuotaLimiter(config, { log, authEnabled: true, now: clock.now });
    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare('SELECT count(*) AS n FROM quota_counters').get() as { n: number };
    db.close();
    await reopened.close();
    assert.equal(rows.n, 0);
  });

  it('reports an unusable db_path as a configuration error', async () => {
    const blocker = join(dir, 'file-not-dir');
    const db = new Database(blocker);
    db.close();
    assert.ok(existsSync(blocker));
    await assert.rejects(
      createQuotaLimiter(
        quotaConfig({ kvstore: { type: 'sqlite', db_path: join(blocker, 'quota.db') } }),
        { log, authEnabled: true },
      ),
      (err: unknown) =>
        err instanceof ConfigError && /server\.quota\.kvstore\.db_path/.test(err.message),
    );
  });
});
