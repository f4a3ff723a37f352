import type { QuotaConfig } from './config.js';

export type Period = QuotaConfig['period'];

const PERIOD_SECONDS: Record<Period, number> = { minute: 60, hour: 3600, day: 86_400 };

/** A fixed counting window aligned to the period in UTC (minute, hour or day boundaries). */
export interface QuotaWindow {
  /** Window number since the epoch; part of every counter key. */
  index: number;
  /** When the next window starts, in milliseconds since the epoch. */
  resetsAtMs: number;
}

export function currentWindow(period: Period, nowMs: number): QuotaWindow {
  const lengthMs = PERIOD_SECONDS[period] * 1000;
  const index = Math.floor(nowMs / lengthMs);
  return { index, resetsAtMs: (index + 1) * lengthMs };
}

/** `2026-12-05T00:00:00Z`: whole seconds, as the reset instant is always a boundary. */
export function formatReset(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
