/**
 * Interleaved rounds: every round measures every arm once, in an order rotated each round so
 * drift hits all arms alike. Rounds with too much steal or foreign CPU are marked noisy and
 * replaced (within a time budget); summaries use the clean rounds.
 */
import type { Arm } from './arms.js';
import type { Noise, NoiseMeter } from './noise.js';

export interface RoundRecord<T> {
  round: number;
  order: string[];
  noise: Noise;
  noisy: boolean;
  reason?: string;
  arms: Record<string, T>;
}

export interface RoundsOptions {
  rounds: number;
  maxExtraRounds: number;
  budgetMs: number;
  maxForeignPct: number;
  maxStealPct: number;
  log: (line: string) => void;
  label: string;
}

/** Runs rounds until `rounds` clean ones exist, the extra-round allowance or the budget is spent. */
export async function runRounds<T>(
  arms: Arm[],
  meter: NoiseMeter,
  o: RoundsOptions,
  measure: (arm: Arm) => Promise<T>,
  problem?: (record: Record<string, T>) => string | undefined,
): Promise<RoundRecord<T>[]> {
  const records: RoundRecord<T>[] = [];
  const started = Date.now();
  const clean = () => records.filter((r) => !r.noisy).length;
  for (let round = 0; ; round++) {
    const enough = clean() >= o.rounds;
    const outOfRounds = round >= o.rounds + o.maxExtraRounds;
    // The budget may cut the planned rounds short, but never below the two a median needs.
    const outOfTime = round >= 2 && Date.now() - started > o.budgetMs;
    if (enough || outOfRounds || outOfTime) break;
    const order = arms.map((_, i) => arms[(i + round) % arms.length]!);
    const results: Record<string, T> = {};
    meter.begin();
    for (const arm of order) results[arm.id] = await measure(arm);
    const noise = meter.end();
    const reasons: string[] = [];
    if (noise.stealPct > o.maxStealPct) reasons.push(`steal ${noise.stealPct}%`);
    if (noise.foreignPct > o.maxForeignPct) reasons.push(`foreign CPU ${noise.foreignPct}%`);
    const extra = problem?.(results);
    if (extra) reasons.push(extra);
    const record: RoundRecord<T> = {
      round,
      order: order.map((a) => a.id),
      noise,
      noisy: reasons.length > 0,
      ...(reasons.length ? { reason: reasons.join('; ') } : {}),
      arms: results,
    };
    records.push(record);
    o.log(
      `${o.label} round ${round + 1}: ${(noise.wallMs / 1000).toFixed(1)} s, steal ${noise.stealPct}%, ` +
        `foreign CPU ${noise.foreignPct}%${record.noisy ? ` -> noisy (${record.reason})` : ''}`,
    );
  }
  return records;
}

/** Clean rounds, or every round (flagged by the caller) when fewer than two are clean. */
export function usableRounds<T>(records: RoundRecord<T>[]): {
  rounds: RoundRecord<T>[];
  fromNoisy: boolean;
} {
  const clean = records.filter((r) => !r.noisy);
  return clean.length >= 2
    ? { rounds: clean, fromNoisy: false }
    : { rounds: records, fromNoisy: true };
}
