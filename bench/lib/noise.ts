/**
 * Noise accounting for a measurement window: VM steal time, and CPU used by processes that are
 * not part of the benchmark (other work on the same machine), from /proc/stat minus our own
 * processes' /proc/<pid>/stat times.
 */
import { cpuSample, cpuSeconds, stealPercent, ticksPerSecond } from './procfs.js';
import type { CpuSample } from './procfs.js';

export interface Noise {
  stealPct: number;
  /** CPU time of other processes, as a share of the machine's capacity in the window. */
  foreignPct: number;
  wallMs: number;
}

export class NoiseMeter {
  private start: CpuSample | undefined;
  private ours = 0;
  private t0 = 0;

  constructor(
    private readonly ourPids: () => number[],
    private readonly nproc: number,
  ) {}

  private ourCpu(): number {
    let total = 0;
    for (const pid of this.ourPids()) {
      try {
        total += cpuSeconds(pid);
      } catch {
        /* exited */
      }
    }
    return total;
  }

  begin(): void {
    this.start = cpuSample();
    this.ours = this.ourCpu();
    this.t0 = Date.now();
  }

  end(): Noise {
    const now = cpuSample();
    const wallMs = Date.now() - this.t0;
    const start = this.start!;
    const busyTicks = now.total - start.total - (now.idle - start.idle) - (now.steal - start.steal);
    const busy = busyTicks / ticksPerSecond();
    const ours = this.ourCpu() - this.ours;
    const capacity = (wallMs / 1000) * this.nproc;
    const r = (v: number) => Math.round(v * 10) / 10;
    return {
      stealPct: r(stealPercent(start, now)),
      foreignPct: r(Math.max(0, ((busy - ours) / capacity) * 100)),
      wallMs,
    };
  }
}
