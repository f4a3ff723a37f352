/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per area
 * (our src/ by file, fastify, undici, pino, jose, zod, node internals, GC, idle).
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  areas: { area: string; ms: number; pctOfBusy: number }[];
  functions: { fn: string; where: string; selfMs: number; pctOfBusy: number }[];
  /** Inclusive time of selected frames (e.g. the auth hook), as a share of busy time. */
  inclusive: { match: string; ms: number; pctOfBusy: number }[];
}

function area(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'V8/native (program)';
  const m = /\/(src\/[^?]+?)(?:\.ts|\.js)?$/.exec(url);
  if (url.includes('/snapshot/src/') || (m && !url.includes('node_modules'))) {
    const path = /src\/(.*)$/.exec(url)?.[1] ?? url;
    return `src/${path.split('/').slice(0, -1).join('/') || path}`;
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url === '') return 'native/builtin';
  return url.split('/').slice(-2).join('/');
}

/** Self time per function and area; `inclusiveMatches` are function-name substrings. */
export function summariseProfile(path: string, inclusiveMatches: string[] = []): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  let total = 0;
  let idle = 0;
  const areas = new Map<string, number>();
  const fns = new Map<string, { where: string; ms: number }>();
  const incl = new Map<string, number>(inclusiveMatches.map((m) => [m, 0]));
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    total += ms;
    if (functionName === '(idle)') idle += ms;
    const a = area(url, functionName);
    areas.set(a, (areas.get(a) ?? 0) + ms);
    const key = `${functionName || '(anonymous)'} ${url}:${lineNumber + 1}`;
    const f = fns.get(key) ?? { where: `${a} ${url.split('/').pop()}:${lineNumber + 1}`, ms: 0 };
    f.ms += ms;
    fns.set(key, f);
    // Inclusive: charge this sample to each matching frame on its stack (once per match).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = byId.get(cur)!.callFrame.functionName;
      for (const m of inclusiveMatches) {
        if (!seen.has(m) && name.includes(m)) {
          seen.add(m);
          incl.set(m, incl.get(m)! + ms);
        }
      }
    }
  }
  const busy = total - idle;
  const pct = (ms: number) => Math.round((ms / busy) * 1000) / 10;
  const r = (v: number) => Math.round(v);
  return {
    totalMs: r(total),
    busyMs: r(busy),
    areas: [...areas]
      .filter(([a]) => a !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([a, ms]) => ({ area: a, ms: r(ms), pctOfBusy: pct(ms) })),
    functions: [...fns]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 30)
      .map(([k, v]) => ({
        fn: k.split(' ')[0]!,
        where: v.where,
        selfMs: r(v.ms),
        pctOfBusy: pct(v.ms),
      })),
    inclusive: [...incl].map(([m, ms]) => ({ match: m, ms: r(ms), pctOfBusy: pct(ms) })),
  };
}
