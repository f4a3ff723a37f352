/** Closed-loop drivers: non-streaming request/response and streaming with per-event timing. */
import { Pool } from 'undici';
import { summarise } from '../lib/stats.js';
import type {
  ClosedCommand,
  ClosedResult,
  StreamCommand,
  StreamResult,
  Target,
} from './protocol.js';

const now = () => process.hrtime.bigint();
const msSince = (t0: bigint, t1 = now()) => Number(t1 - t0) / 1e6;

/** Hard cap on any command, whatever it asked for. */
const MAX_COMMAND_MS = 120_000;

export function headersFor(target: Target, worker: number): Record<string, string> {
  const tokens = target.tokens;
  if (!tokens || tokens.length === 0) return target.headers;
  return { ...target.headers, authorization: `Bearer ${tokens[worker % tokens.length]}` };
}

/** Sends one request and reads the whole body; throws on a non-200 status. */
async function once(pool: Pool, target: Target, headers: Record<string, string>): Promise<void> {
  const res = await pool.request({
    method: 'POST',
    path: target.path,
    headers,
    body: target.body,
  });
  let bytes = 0;
  for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  if (res.statusCode !== 200 || bytes === 0) {
    throw new Error(`status ${res.statusCode}, ${bytes} bytes`);
  }
}

/** `concurrency` workers loop until `requests` are done or `durationMs` passed. */
export async function closedLoop(c: ClosedCommand): Promise<ClosedResult> {
  const pool = new Pool(c.target.origin, { connections: c.concurrency, pipelining: 1 });
  const deadlineCap = Date.now() + MAX_COMMAND_MS;
  let errors = 0;
  let firstError: string | undefined;
  const fail = (err: unknown) => {
    errors++;
    firstError ??= String((err as Error)?.message ?? err);
  };
  try {
    // Warm-up: same concurrency, not recorded.
    let warm = c.warmup;
    await Promise.all(
      Array.from({ length: c.concurrency }, async (_, w) => {
        const headers = headersFor(c.target, w);
        while (warm-- > 0 && Date.now() < deadlineCap)
          await once(pool, c.target, headers).catch(() => {});
      }),
    );

    const latencies: number[] = [];
    let left = c.requests ?? Number.POSITIVE_INFINITY;
    const stopAt = Math.min(deadlineCap, Date.now() + (c.durationMs ?? MAX_COMMAND_MS));
    const start = now();
    await Promise.all(
      Array.from({ length: c.concurrency }, async (_, w) => {
        const headers = headersFor(c.target, w);
        while (left-- > 0 && Date.now() < stopAt) {
          const t0 = now();
          try {
            await once(pool, c.target, headers);
            latencies.push(msSince(t0));
          } catch (err) {
            fail(err);
          }
        }
      }),
    );
    const elapsedMs = msSince(start);
    return {
      count: latencies.length,
      errors,
      ...(firstError ? { firstError } : {}),
      elapsedMs,
      rps: (latencies.length / elapsedMs) * 1000,
      latency: summarise(latencies),
    };
  } finally {
    await pool.close();
  }
}

interface StreamTiming {
  ttft: number;
  gaps: number[];
  total: number;
  content: number;
  coalesced: number;
}

/** True when an SSE event's JSON carries a non-empty delta.content. */
function hasContent(data: string): boolean {
  if (data === '[DONE]') return false;
  const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[] };
  const content = chunk.choices?.[0]?.delta?.content;
  return typeof content === 'string' && content.length > 0;
}

/** Reads one SSE stream, timing each read that carries content events. */
export async function readStream(
  pool: Pool,
  target: Target,
  headers: Record<string, string>,
  signal?: AbortSignal,
  onFirstContent?: () => void,
): Promise<StreamTiming> {
  const t0 = now();
  const res = await pool.request({
    method: 'POST',
    path: target.path,
    headers,
    body: target.body,
    ...(signal ? { signal } : {}),
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`status ${res.statusCode}`);
  }
  const timing: StreamTiming = { ttft: NaN, gaps: [], total: 0, content: 0, coalesced: 0 };
  let pending = '';
  let last: bigint | undefined;
  res.body.setEncoding('utf8');
  for await (const text of res.body as AsyncIterable<string>) {
    const at = now();
    pending += text;
    let inRead = 0;
    let end = pending.indexOf('\n\n');
    while (end !== -1) {
      const block = pending.slice(0, end);
      pending = pending.slice(end + 2);
      end = pending.indexOf('\n\n');
      if (!block.startsWith('data: ') || !hasContent(block.slice(6))) continue;
      inRead++;
      timing.content++;
    }
    if (inRead === 0) continue;
    timing.coalesced += inRead - 1;
    if (last === undefined) {
      timing.ttft = msSince(t0, at);
      onFirstContent?.();
    } else timing.gaps.push(msSince(last, at));
    last = at;
  }
  timing.total = msSince(t0);
  return timing;
}

/** `streams` streaming requests, `concurrency` at a time. */
export async function runStreams(c: StreamCommand): Promise<StreamResult> {
  const pool = new Pool(c.target.origin, { connections: c.concurrency, pipelining: 1 });
  const stopAt = Date.now() + MAX_COMMAND_MS;
  const ttft: number[] = [];
  const gaps: number[] = [];
  const totals: number[] = [];
  let content = 0;
  let coalesced = 0;
  let errors = 0;
  let firstError: string | undefined;
  let left = c.streams;
  try {
    await Promise.all(
      Array.from({ length: c.concurrency }, async (_, w) => {
        const headers = headersFor(c.target, w);
        while (left-- > 0 && Date.now() < stopAt) {
          try {
            const t = await readStream(pool, c.target, headers);
            ttft.push(t.ttft);
            gaps.push(...t.gaps);
            totals.push(t.total);
            content += t.content;
            coalesced += t.coalesced;
          } catch (err) {
            errors++;
            firstError ??= String((err as Error)?.message ?? err);
          }
        }
      }),
    );
  } finally {
    await pool.close();
  }
  return {
    streams: totals.length,
    errors,
    ...(firstError ? { firstError } : {}),
    ttft: summarise(ttft),
    gap: summarise(gaps),
    total: summarise(totals),
    contentEvents: content,
    expectedEvents: totals.length * c.expectTokens,
    coalesced,
  };
}
