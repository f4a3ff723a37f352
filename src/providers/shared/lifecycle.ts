import type { Pool } from 'undici';
import type { ChatEvent, HealthStatus } from '../../inference/types.js';
import { isAbortError } from './errors.js';

/** An answer with no events, for calls whose client went away before the upstream replied. */
export async function* noEvents(): AsyncGenerator<ChatEvent> {}

/** Replays already computed events (a `stream: false` reply) as the async stream routes consume. */
export async function* replayEvents(events: readonly ChatEvent[]): AsyncGenerator<ChatEvent> {
  yield* events;
}

/**
 * Runs a probe under a hard deadline and turns any failure into the health shape of
 * /v1/providers.
 */
export async function probeHealth(
  probe: (signal: AbortSignal) => Promise<void>,
  ms: number,
): Promise<HealthStatus> {
  const signal = AbortSignal.timeout(ms);
  try {
    await probe(signal);
    return { status: 'OK' };
  } catch (err) {
    const reason =
      signal.aborted && isAbortError(err)
        ? `no answer within ${ms / 1000} s`
        : err instanceof Error
          ? err.message
          : String(err);
    return { status: 'Error', message: `Health check failed: ${reason}` };
  }
}

/** Closes a pool, giving in-flight requests a moment before cutting them off. */
export async function closePool(pool: Pool, graceMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs).unref();
  });
  await Promise.race([pool.close().catch(() => undefined), grace]);
  clearTimeout(timer);
  if (!pool.destroyed) await pool.destroy().catch(() => undefined);
}

/**
 * Retries a start-up task with exponential backoff (1 s, 2 s, ... up to 30 s) on unref'd timers, so
 * a waiting retry never keeps the process alive. `stop()` cancels it (provider close).
 */
export class BackgroundRetry {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt = 0;

  constructor(private readonly task: (attempt: number) => Promise<boolean>) {}

  /** Runs the task now; schedules another run while it returns false. */
  async run(): Promise<void> {
    if (this.stopped) return;
    const finished = await this.task(this.attempt).catch(() => false);
    if (finished || this.stopped) return;
    this.timer = setTimeout(() => void this.run(), this.nextDelayMs()).unref();
    this.attempt++;
  }

  /** Delay before the next run, for log messages. */
  nextDelayMs(): number {
    return Math.min(30_000, 1000 * 2 ** this.attempt);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
