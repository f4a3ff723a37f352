/** Long-lived streams held open while the orchestrator measures the gateway's memory. */
import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import { headersFor, readStream } from './drivers.js';
import type { HoldCommand, HoldResult } from './protocol.js';

export class HeldStreams {
  private pool: Pool | undefined;
  private readonly controller = { current: new AbortController() };
  private open = 0;
  private withFirst = 0;
  private errors = 0;
  private firstError: string | undefined;
  private readonly running: Promise<unknown>[] = [];

  /** Opens `count` more streams; answers once each has its first token, or at the timeout. */
  async openMore(c: HoldCommand): Promise<HoldResult> {
    const started = Date.now();
    this.pool ??= new Pool(c.target.origin, { connections: 100_000, pipelining: 1 });
    const pool = this.pool;
    const signal = this.controller.current.signal;
    // One signal aborts thousands of streams, each of which listens to it.
    setMaxListeners(0, signal);
    const goal = this.withFirst + this.errors + c.count;
    for (let i = 0; i < c.count; i++) {
      const worker = this.open++;
      this.running.push(
        readStream(
          pool,
          c.target,
          headersFor(c.target, worker),
          signal,
          () => this.withFirst++,
        ).catch((err: unknown) => {
          if (signal.aborted) return;
          this.errors++;
          this.firstError ??= String((err as Error)?.message ?? err);
        }),
      );
    }
    while (this.withFirst + this.errors < goal && Date.now() - started < c.timeoutMs) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      open: this.open - this.errors,
      withFirstToken: this.withFirst,
      errors: this.errors,
      ...(this.firstError ? { firstError: this.firstError } : {}),
      elapsedMs: Date.now() - started,
    };
  }

  /** Aborts every held stream and closes their connections. */
  async release(): Promise<{ closed: number }> {
    const closed = this.open;
    this.controller.current.abort();
    await Promise.allSettled(this.running);
    await this.pool?.destroy();
    this.pool = undefined;
    this.running.length = 0;
    this.controller.current = new AbortController();
    this.open = 0;
    this.withFirst = 0;
    this.errors = 0;
    this.firstError = undefined;
    return { closed };
  }
}
