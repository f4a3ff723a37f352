/** A tiny timing harness for micro-benchmarks: warm up, then median of several timed batches. */

export interface MicroResult {
  name: string;
  /** Microseconds per operation: median of the batches, and the fastest/slowest batch. */
  usPerOp: number;
  minUs: number;
  maxUs: number;
  opsPerSec: number;
  batches: number;
  opsPerBatch: number;
}

/** Times `op` (sync or async) in `batches` batches of `ops` calls after `warmup` calls. */
export async function time(
  name: string,
  op: (i: number) => unknown,
  options: { ops: number; batches?: number; warmup?: number; perCall?: number },
): Promise<MicroResult> {
  const batches = options.batches ?? 7;
  const warmup = options.warmup ?? options.ops;
  // perCall: how many units one call handles (e.g. chunks per stream), to report per unit.
  const perCall = options.perCall ?? 1;
  for (let i = 0; i < warmup; i++) await op(i);
  const perOp: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < options.ops; i++) await op(i);
    const ns = Number(process.hrtime.bigint() - t0);
    perOp.push(ns / 1e3 / (options.ops * perCall));
  }
  perOp.sort((a, b) => a - b);
  const mid = perOp[Math.floor(perOp.length / 2)]!;
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    name,
    usPerOp: r(mid),
    minUs: r(perOp[0]!),
    maxUs: r(perOp[perOp.length - 1]!),
    opsPerSec: Math.round(1e6 / mid),
    batches,
    opsPerBatch: options.ops * perCall,
  };
}
