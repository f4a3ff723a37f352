import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { ConfigError } from '../errors/errors.js';
import type { CounterStore } from './store.js';

/** How often expired windows are deleted. */
const PURGE_INTERVAL_MS = 60_000;

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/**
 * Counters in a SQLite file, so they survive a restart. WAL mode lets several gateway processes on
 * one host share the file; each increment is one UPSERT ... RETURNING, atomic in SQLite.
 */
export class SqliteCounterStore implements CounterStore {
  private readonly db: SqliteDatabase;
  private readonly incrementStmt: Statement<[string, number, number], { count: number }>;
  private readonly getStmt: Statement<[string, number], { count: number }>;
  private readonly purgeStmt: Statement<[number]>;
  private readonly timer: NodeJS.Timeout;

  constructor(
    dbPath: string,
    private readonly now: () => number,
  ) {
    const path = expandHome(dbPath);
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
    } catch (cause) {
      throw new ConfigError(
        `server.quota.kvstore.db_path: cannot open ${path}: ${(cause as Error).message}`,
        { cause },
      );
    }
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS quota_counters (
      key TEXT PRIMARY KEY,
      count INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.incrementStmt = this.db.prepare(
      `INSERT INTO quota_counters (key, count, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET count = count + excluded.count
       RETURNING count`,
    );
    this.getStmt = this.db.prepare(
      'SELECT count FROM quota_counters WHERE key = ? AND expires_at > ?',
    );
    this.purgeStmt = this.db.prepare('DELETE FROM quota_counters WHERE expires_at <= ?');
    this.purge();
    this.timer = setInterval(() => this.purge(), PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  async increment(key: string, by: number, expiresAtMs: number): Promise<number> {
    return this.incrementStmt.get(key, by, expiresAtMs)!.count;
  }

  async get(key: string): Promise<number> {
    return this.getStmt.get(key, this.now())?.count ?? 0;
  }

  private purge(): void {
    try {
      this.purgeStmt.run(this.now());
    } catch {
      // A busy or read-only database only delays clean-up; counting still works or reports.
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.db.close();
  }
}
