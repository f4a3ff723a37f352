/**
 * Turns raw rounds into the reported figures: per-arm medians over rounds, differences against
 * direct taken within each round (so drift cancels), ratios taken per round then medianed, the
 * harness check, and the goals.
 */
import type { StreamResult } from '../load/protocol.js';
import type { MemorySample, NonStreamSample } from './phases.js';
import type { RoundRecord } from './rounds.js';
import { usableRounds } from './rounds.js';
import { iqr, median, round } from './stats.js';

type Rounds<T> = RoundRecord<T>[];

const med = (values: number[]) => round(median(values));

function perRound<T>(
  rounds: Rounds<T>,
  f: (arms: Record<string, T>) => number | undefined,
): number[] {
  return rounds
    .map((r) => f(r.arms))
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
}

export interface NonStreamArmSummary {
  c1P50Ms: number;
  c1P99Ms: number;
  addedP50Ms: number;
  addedP50IqrMs: [number, number];
  addedP99Ms: number;
  rps: number;
  rpsVsDirect: number;
  cpuMsPer1k: number;
  errors: number;
  /** direct RPS / this arm's RPS per round (harness check wants >= 2). */
  directOverArmRps: number;
}

export function summariseNonStream(records: Rounds<NonStreamSample>) {
  const { rounds, fromNoisy } = usableRounds(records);
  const ids = Object.keys(rounds[0]?.arms ?? {});
  const arms: Record<string, NonStreamArmSummary> = {};
  for (const id of ids) {
    const added = perRound(
      rounds,
      (a) => a[id]!.c1.latency.p50 - (a.direct?.c1.latency.p50 ?? NaN),
    );
    const [q1, q3] = iqr(added);
    arms[id] = {
      c1P50Ms: med(perRound(rounds, (a) => a[id]!.c1.latency.p50)),
      c1P99Ms: med(perRound(rounds, (a) => a[id]!.c1.latency.p99)),
      addedP50Ms: med(added),
      addedP50IqrMs: [round(q1), round(q3)],
      addedP99Ms: med(
        perRound(rounds, (a) => a[id]!.c1.latency.p99 - (a.direct?.c1.latency.p99 ?? NaN)),
      ),
      rps: Math.round(median(perRound(rounds, (a) => a[id]!.c32.rps))),
      rpsVsDirect: med(perRound(rounds, (a) => a[id]!.c32.rps / (a.direct?.c32.rps ?? NaN))),
      cpuMsPer1k: round(median(perRound(rounds, (a) => a[id]!.cpuPer1k * 1000)), 1),
      errors: rounds.reduce((t, r) => t + r.arms[id]!.c1.errors + r.arms[id]!.c32.errors, 0),
      directOverArmRps: med(perRound(rounds, (a) => (a.direct?.c32.rps ?? NaN) / a[id]!.c32.rps)),
    };
  }
  const ratio = (num: string, den: string, f: (s: NonStreamSample) => number) =>
    ids.includes(num) && ids.includes(den)
      ? med(perRound(rounds, (a) => f(a[num]!) / f(a[den]!)))
      : NaN;
  const addedP50 = (a: Record<string, NonStreamSample>, id: string) =>
    a[id]!.c1.latency.p50 - a.direct!.c1.latency.p50;
  const addedRatio = (num: string, den: string) =>
    ids.includes(num) && ids.includes(den) && ids.includes('direct')
      ? med(perRound(rounds, (a) => addedP50(a, num) / addedP50(a, den)))
      : NaN;
  const rps = (s: NonStreamSample) => s.c32.rps;
  // Requests per CPU-second of the arm's processes: robust to other load on the machine.
  const capacity = (s: NonStreamSample) => 1000 / s.cpuPer1k;
  return {
    fromNoisyRounds: fromNoisy,
    roundsUsed: rounds.map((r) => r.round),
    arms,
    ratios: {
      authOverNoauthRps: ratio('llamagate-auth', 'llamagate-noauth', rps),
      authOverNoauthAddedP50: addedRatio('llamagate-auth', 'llamagate-noauth'),
      authMinusNoauthP50Ms: med(
        perRound(rounds, (a) =>
          a['llamagate-auth'] && a['llamagate-noauth']
            ? a['llamagate-auth'].c1.latency.p50 - a['llamagate-noauth'].c1.latency.p50
            : undefined,
        ),
      ),
      authLogOverAuthRps: ratio('llamagate-auth-log', 'llamagate-auth', rps),
      llamagateOverPortkeyRps: ratio('llamagate-auth', 'portkey', rps),
      llamagateOverPortkeyAddedP50: addedRatio('llamagate-auth', 'portkey'),
      llamagateOverBareProxyRps: ratio('llamagate-auth', 'bare-proxy', rps),
      llamagateOverNginxRps: ratio('llamagate-auth', 'nginx', rps),
      authOverNoauthCpuCapacity: ratio('llamagate-auth', 'llamagate-noauth', capacity),
      llamagateOverPortkeyCpuCapacity: ratio('llamagate-auth', 'portkey', capacity),
      llamagateOverBareProxyCpuCapacity: ratio('llamagate-auth', 'bare-proxy', capacity),
    },
  };
}

export interface StreamArmSummary {
  ttftP50Ms: number;
  ttftP99Ms: number;
  addedTtftP50Ms: number;
  addedTtftP99Ms: number;
  gapP99Ms: number;
  addedGapP99Ms: number;
  contentEvents: number;
  expectedEvents: number;
  coalesced: number;
  errors: number;
}

export function summariseStream(records: Rounds<StreamResult>) {
  const { rounds, fromNoisy } = usableRounds(records);
  const ids = Object.keys(rounds[0]?.arms ?? {});
  const arms: Record<string, StreamArmSummary> = {};
  for (const id of ids) {
    const vs = (f: (s: StreamResult) => number) =>
      med(perRound(rounds, (a) => f(a[id]!) - (a.direct ? f(a.direct) : NaN)));
    arms[id] = {
      ttftP50Ms: med(perRound(rounds, (a) => a[id]!.ttft.p50)),
      ttftP99Ms: med(perRound(rounds, (a) => a[id]!.ttft.p99)),
      addedTtftP50Ms: vs((s) => s.ttft.p50),
      addedTtftP99Ms: vs((s) => s.ttft.p99),
      gapP99Ms: med(perRound(rounds, (a) => a[id]!.gap.p99)),
      addedGapP99Ms: vs((s) => s.gap.p99),
      contentEvents: rounds.reduce((t, r) => t + r.arms[id]!.contentEvents, 0),
      expectedEvents: rounds.reduce((t, r) => t + r.arms[id]!.expectedEvents, 0),
      coalesced: rounds.reduce((t, r) => t + r.arms[id]!.coalesced, 0),
      errors: rounds.reduce((t, r) => t + r.arms[id]!.errors, 0),
    };
  }
  return { fromNoisyRounds: fromNoisy, roundsUsed: rounds.map((r) => r.round), arms };
}

export interface Goal {
  goal: string;
  value: string;
  met: boolean | null;
  /** The figure comes from rounds that were all noisy: read it as indicative only. */
  noisy?: boolean;
}

/** The stated goals for llamagate with auth on, checked against the summaries. */
export function checkGoals(
  ns: ReturnType<typeof summariseNonStream> | undefined,
  st: ReturnType<typeof summariseStream> | undefined,
  stC1: ReturnType<typeof summariseStream> | undefined,
  memory: Record<string, MemorySample> | undefined,
): Goal[] {
  const goals: Goal[] = [];
  let noisy = ns?.fromNoisyRounds === true;
  const add = (goal: string, value: number, ok: (v: number) => boolean, unit = '') =>
    goals.push({
      goal,
      value: Number.isFinite(value) ? `${round(value, 3)}${unit}` : 'not measured',
      met: Number.isFinite(value) ? ok(value) : null,
      ...(noisy && Number.isFinite(value) ? { noisy: true } : {}),
    });
  const r = ns?.ratios;
  const auth = ns?.arms['llamagate-auth'];
  add('>= 2x Portkey requests/s (c=32)', r?.llamagateOverPortkeyRps ?? NaN, (v) => v >= 2, 'x');
  add(
    '<= 1/2 Portkey added latency (p50, c=1)',
    r?.llamagateOverPortkeyAddedP50 ?? NaN,
    (v) => v <= 0.5,
    'x',
  );
  add(
    '>= 60% of the bare Node proxy requests/s',
    r?.llamagateOverBareProxyRps ?? NaN,
    (v) => v >= 0.6,
    'x',
  );
  add('added p50 at c=1 < 0.5 ms', auth?.addedP50Ms ?? NaN, (v) => v < 0.5, ' ms');
  add(
    'added TTFT (p50) < 1 ms, 16 concurrent streams',
    st?.arms['llamagate-auth']?.addedTtftP50Ms ?? NaN,
    (v) => v < 1,
    ' ms',
  );
  add(
    'added TTFT (p50) < 1 ms, one stream at a time',
    stC1?.arms['llamagate-auth']?.addedTtftP50Ms ?? NaN,
    (v) => v < 1,
    ' ms',
  );
  noisy = false;
  const mem = memory?.['llamagate-auth'];
  // Memory per open stream is the RSS slope from the first step to the last (ΔRSS / Δstreams): the jump
  // from idle to the first step also holds one-off growth (young generation, pools, compiled
  // code) that is not per stream; it is reported beside the slope, not judged. The after-GC
  // reading leaves out garbage left by earlier phases.
  add(
    '< 32 KiB per open stream (RSS slope, after full GC)',
    mem?.afterGcSlope?.rssKiB ?? NaN,
    (v) => v < 32,
    ' KiB',
  );
  add(
    '< 32 KiB per open stream (RSS slope, plain readings)',
    mem?.slopeKiBPerStream ?? NaN,
    (v) => v < 32,
    ' KiB',
  );
  noisy = ns?.fromNoisyRounds === true;
  add('auth-on RPS within 10% of auth-off', r?.authOverNoauthRps ?? NaN, (v) => v >= 0.9, 'x');
  const noauth = ns?.arms['llamagate-noauth'];
  const addedRatio = auth && noauth ? auth.addedP50Ms / noauth.addedP50Ms : NaN;
  add('auth-on added p50 within 10% of auth-off', addedRatio, (v) => v <= 1.1, 'x');
  return goals;
}
