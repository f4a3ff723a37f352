/** The measurement phases: non-streaming, streaming and long-lived streams (memory). */
import type { ClosedResult, HoldResult, StreamResult, Target } from '../load/protocol.js';
import type { Arm, Workload } from './arms.js';
import type { TokenPool } from './idp.js';
import type { LoadClient } from './load-client.js';
import { cpuSeconds, rssKiB } from './procfs.js';
import { STREAM_TOKENS } from './workload.js';

export interface Settings {
  c1: { warmup: number; requests: number; maxMs: number };
  c32: { concurrency: number; warmup: number; durationMs: number };
  stream: { concurrency: number; streams: number };
  /** One stream at a time: time to first token without queueing behind other streams. */
  streamC1: { streams: number };
  hold: { steps: number[]; settleMs: number; arms: string[] };
}

export interface NonStreamSample {
  c1: ClosedResult;
  c32: ClosedResult;
  /** CPU seconds of the arm's processes per 1,000 requests at c=32 (NaN for direct). */
  cpuPer1k: number;
  rssKiB: number;
}

async function targetFor(arm: Arm, w: Workload, tokens?: TokenPool): Promise<Target> {
  const target = arm.target(w);
  return arm.auth && tokens ? { ...target, tokens: await tokens.tokens() } : target;
}

function sumCpu(pids: number[]): number {
  return pids.reduce((t, pid) => t + cpuSeconds(pid), 0);
}

function sumRss(pids: number[]): number {
  return pids.reduce((t, pid) => t + rssKiB(pid), 0);
}

export async function measureNonStream(
  arm: Arm,
  client: LoadClient,
  s: Settings,
  tokens?: TokenPool,
): Promise<NonStreamSample> {
  const target = await targetFor(arm, 'fast', tokens);
  const c1 = await client.send<ClosedResult>({
    cmd: 'closed',
    target,
    concurrency: 1,
    warmup: s.c1.warmup,
    requests: s.c1.requests,
    durationMs: s.c1.maxMs,
  });
  await client.send<ClosedResult>({
    cmd: 'closed',
    target,
    concurrency: s.c32.concurrency,
    warmup: s.c32.warmup,
    requests: 0,
  });
  const pids = arm.pids();
  const cpu0 = sumCpu(pids);
  const c32 = await client.send<ClosedResult>({
    cmd: 'closed',
    target,
    concurrency: s.c32.concurrency,
    warmup: 0,
    durationMs: s.c32.durationMs,
  });
  const cpu = sumCpu(pids) - cpu0;
  const done = c32.count + c32.errors;
  return {
    c1,
    c32,
    cpuPer1k: pids.length && done ? (cpu / done) * 1000 : NaN,
    rssKiB: pids.length ? sumRss(pids) : NaN,
  };
}

/**
 * Streams through the arm at the given concurrency, after one unrecorded batch at the same
 * concurrency: the streaming code path (and the connections) are warm when timing starts, as the
 * non-streaming phase's warm-up requests make them for that path.
 */
export async function measureStream(
  arm: Arm,
  client: LoadClient,
  load: { concurrency: number; streams: number },
  tokens?: TokenPool,
): Promise<StreamResult> {
  const target = await targetFor(arm, 'stream', tokens);
  const batch = {
    cmd: 'stream' as const,
    target,
    concurrency: load.concurrency,
    expectTokens: STREAM_TOKENS,
  };
  await client.send<StreamResult>({ ...batch, streams: load.concurrency });
  return client.send<StreamResult>({ ...batch, streams: load.streams });
}

/**
 * One stream through the arm before the streaming rounds: an arm that cannot stream at all is
 * reported with the reason instead of polluting every round with errors.
 */
export async function streamPreflight(
  arm: Arm,
  client: LoadClient,
  tokens?: TokenPool,
): Promise<string | undefined> {
  const res = await client.send<StreamResult>({
    cmd: 'stream',
    target: await targetFor(arm, 'stream', tokens),
    concurrency: 1,
    streams: 1,
    expectTokens: STREAM_TOKENS,
  });
  if (res.errors === 0 && res.contentEvents === STREAM_TOKENS) return undefined;
  const said = arm.probe?.stderrTail
    .filter((l) => /error/i.test(l))
    .slice(-1)[0]
    ?.trim();
  return (
    `streaming request failed (${res.firstError ?? `${res.contentEvents} of ${STREAM_TOKENS} tokens`})` +
    (said ? `; the server logged: ${said.slice(0, 300)}` : '')
  );
}

export interface HoldStep {
  open: number;
  hold: HoldResult;
  rssKiB: number;
  eld?: { p50: number; p99: number; max: number; mean: number };
  heapUsedKiB?: number;
  externalKiB?: number;
  /** After a forced full GC: what the open streams really hold, garbage left out. */
  afterGc?: {
    rssKiB: number;
    heapUsedKiB: number;
    externalKiB: number;
    spaces?: Record<string, { sizeKiB: number; usedKiB: number }>;
  };
}

export interface MemorySample {
  startRssKiB: number;
  idleRssKiB: number;
  steps: HoldStep[];
  /** (RSS at the last step - RSS at the first step) / streams added between them. */
  slopeKiBPerStream: number;
  /** (RSS at the last step - idle RSS) / streams open at the last step. */
  aboveIdleKiBPerStream: number;
  /** Slopes between the steps measured right after a full GC (Node arms only). */
  afterGcSlope?: { rssKiB: number; heapUsedKiB: number; externalKiB: number };
  /** Idle RSS right after a full GC, and (RSS after GC at the last step - that) / streams. */
  idleAfterGcKiB?: number;
  aboveIdleAfterGcKiBPerStream?: number;
  eldP99AtMaxMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens the hold steps one after another (e.g. 1,000, 2,000 then 4,000 streams), measuring each. */
export async function measureMemory(
  arm: Arm,
  client: LoadClient,
  s: Settings,
  startRssKiB: number,
  tokens?: TokenPool,
): Promise<MemorySample> {
  const target = await targetFor(arm, 'slow', tokens);
  const pids = arm.pids();
  await sleep(s.hold.settleMs);
  const idleRssKiB = sumRss(pids);
  // The load phases before this one leave garbage behind; a full GC at idle and at every step
  // (after the plain reading) makes the after-GC figures count what the streams hold.
  let idleAfterGcKiB: number | undefined;
  if (arm.probe) {
    await arm.probe.probe('gc');
    idleAfterGcKiB = sumRss(pids);
  }
  const steps: HoldStep[] = [];
  let open = 0;
  try {
    for (const goal of s.hold.steps) {
      const hold = await client.send<HoldResult>(
        { cmd: 'hold', target, count: goal - open, timeoutMs: 30_000 },
        60_000,
      );
      open = goal;
      await arm.probe?.probe('reset');
      await sleep(s.hold.settleMs);
      const step: HoldStep = { open, hold, rssKiB: sumRss(pids) };
      if (arm.probe) {
        const read = (await arm.probe.probe('read')) as {
          eld: HoldStep['eld'];
          mem: { heapUsed: number; external: number };
          spaces?: Record<string, { sizeKiB: number; usedKiB: number }>;
        };
        step.eld = read.eld;
        step.heapUsedKiB = Math.round(read.mem.heapUsed / 1024);
        step.externalKiB = Math.round(read.mem.external / 1024);
        const gc = (await arm.probe.probe('gc')) as typeof read;
        step.afterGc = {
          rssKiB: sumRss(pids),
          heapUsedKiB: Math.round(gc.mem.heapUsed / 1024),
          externalKiB: Math.round(gc.mem.external / 1024),
          ...(gc.spaces ? { spaces: gc.spaces } : {}),
        };
      }
      steps.push(step);
    }
  } finally {
    await client.send({ cmd: 'release' }, 60_000);
  }
  const first = steps[0]!;
  const last = steps[steps.length - 1]!;
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    startRssKiB,
    idleRssKiB,
    steps,
    slopeKiBPerStream:
      steps.length > 1 ? r((last.rssKiB - first.rssKiB) / (last.open - first.open)) : NaN,
    aboveIdleKiBPerStream: r((last.rssKiB - idleRssKiB) / last.open),
    ...(idleAfterGcKiB !== undefined && last.afterGc
      ? {
          idleAfterGcKiB,
          aboveIdleAfterGcKiBPerStream: r((last.afterGc.rssKiB - idleAfterGcKiB) / last.open),
        }
      : {}),
    ...(steps.length > 1 && first.afterGc && last.afterGc
      ? {
          afterGcSlope: {
            rssKiB: r((last.afterGc.rssKiB - first.afterGc.rssKiB) / (last.open - first.open)),
            heapUsedKiB: r(
              (last.afterGc.heapUsedKiB - first.afterGc.heapUsedKiB) / (last.open - first.open),
            ),
            externalKiB: r(
              (last.afterGc.externalKiB - first.afterGc.externalKiB) / (last.open - first.open),
            ),
          },
        }
      : {}),
    ...(last.eld ? { eldP99AtMaxMs: last.eld.p99 } : {}),
  };
}

export { sumRss };
