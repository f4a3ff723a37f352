/** Command-line options of `npm run bench` and the settings of full and quick runs. */
import { parseArgs } from 'node:util';
import type { ArmId } from './arms.js';
import type { Settings } from './phases.js';

export const ALL_ARMS: ArmId[] = [
  'direct',
  'bare-proxy',
  'nginx',
  'portkey',
  'llamagate-noauth',
  'llamagate-auth',
  'llamagate-auth-log',
];
export const PHASES = ['nonstream', 'stream', 'memory', 'micro'] as const;
export type Phase = (typeof PHASES)[number];

export interface RunOptions {
  quick: boolean;
  arms: ArmId[];
  phases: Phase[];
  rounds: number;
  streamRounds: number;
  source: 'head' | 'worktree';
  out: string | undefined;
  maxForeignPct: number;
  settings: Settings;
  budgets: { nonstreamMs: number; streamMs: number; streamC1Ms: number };
}

const HELP = `npm run bench -- [--quick] [--arms a,b] [--phases nonstream,stream,memory,micro]
  [--rounds N] [--source head|worktree] [--out FILE] [--max-foreign PCT]

  --quick        short run (< 2 min): 2 rounds, smaller counts, memory on llamagate-auth only
  --arms         subset of: ${ALL_ARMS.join(', ')} (direct is always included)
  --source       head (default): benchmark src/ as last committed; worktree: as it is on disk
  --max-foreign  a round in which other processes used more than PCT% of the machine is noisy
                 and re-run (default 15)`;

export function parseOptions(argv: string[]): RunOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      arms: { type: 'string' },
      phases: { type: 'string' },
      rounds: { type: 'string' },
      source: { type: 'string', default: 'head' },
      out: { type: 'string' },
      'max-foreign': { type: 'string', default: '15' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const quick = values.quick === true;
  const arms = values.arms ? (values.arms.split(',') as ArmId[]) : ALL_ARMS;
  for (const a of arms) if (!ALL_ARMS.includes(a)) throw new Error(`unknown arm '${a}'\n\n${HELP}`);
  if (!arms.includes('direct')) arms.unshift('direct');
  const phases = values.phases ? (values.phases.split(',') as Phase[]) : [...PHASES];
  for (const p of phases)
    if (!PHASES.includes(p)) throw new Error(`unknown phase '${p}'\n\n${HELP}`);
  if (values.source !== 'head' && values.source !== 'worktree') {
    throw new Error(`--source must be head or worktree\n\n${HELP}`);
  }
  const rounds = values.rounds ? Number(values.rounds) : quick ? 2 : 7;
  return {
    quick,
    arms: ALL_ARMS.filter((a) => arms.includes(a)),
    phases,
    rounds,
    streamRounds: values.rounds ? rounds : quick ? 2 : 5,
    source: values.source,
    out: values.out,
    maxForeignPct: Number(values['max-foreign']),
    settings: quick
      ? {
          c1: { warmup: 100, requests: 300, maxMs: 1500 },
          c32: { concurrency: 32, warmup: 300, durationMs: 1000 },
          stream: { concurrency: 16, streams: 16 },
          streamC1: { streams: 2 },
          hold: { steps: [250, 500], settleMs: 1500, arms: ['llamagate-auth'] },
        }
      : {
          c1: { warmup: 200, requests: 1000, maxMs: 5000 },
          c32: { concurrency: 32, warmup: 500, durationMs: 3000 },
          stream: { concurrency: 16, streams: 48 },
          streamC1: { streams: 12 },
          hold: {
            steps: [1000, 2000, 4000],
            settleMs: 3000,
            arms: ALL_ARMS.filter((a) => a !== 'direct'),
          },
        },
    budgets: quick
      ? { nonstreamMs: 30_000, streamMs: 15_000, streamC1Ms: 15_000 }
      : { nonstreamMs: 330_000, streamMs: 150_000, streamC1Ms: 300_000 },
  };
}
