/** Renders a results object (as written to bench/results/) as Markdown tables. */
import type { MemorySample } from './phases.js';
import { checkGoals } from './summary.js';
import type { Goal, NonStreamArmSummary, StreamArmSummary } from './summary.js';

export interface Results {
  kind: string;
  startedAt: string;
  durationS: number;
  command: string;
  machine: Record<string, unknown>;
  build: { mode: string; source: string };
  versions: Record<string, string | undefined>;
  arms: Record<string, string>;
  streamingUnavailable?: Record<string, string>;
  goals: Goal[];
  nonstream?: {
    rounds: { round: number; noisy: boolean; reason?: string; noise: Record<string, number> }[];
    summary: {
      fromNoisyRounds: boolean;
      roundsUsed: number[];
      arms: Record<string, NonStreamArmSummary>;
      ratios: Record<string, number>;
    };
  };
  stream?: {
    rounds: { round: number; noisy: boolean; reason?: string; noise: Record<string, number> }[];
    summary: {
      fromNoisyRounds: boolean;
      roundsUsed: number[];
      arms: Record<string, StreamArmSummary>;
    };
  };
  streamC1?: Results['stream'];
  memory?: Record<string, MemorySample & { noise?: Record<string, number> }>;
  micro?: {
    pipeline?: {
      results: { name: string; usPerOp: number; minUs: number; maxUs: number; opsPerSec: number }[];
    };
    authVerify?: string;
    coldPath?: string;
  };
}

const f = (v: number | undefined, d = 2) =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d);

function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
}

function roundsLine(
  rounds: { round: number; noisy: boolean; reason?: string; noise: Record<string, number> }[],
): string {
  return rounds
    .map(
      (r) =>
        `round ${r.round + 1}: foreign CPU ${r.noise.foreignPct}%, steal ${r.noise.stealPct}%` +
        (r.noisy ? ` — discarded (${r.reason})` : ''),
    )
    .join('; ');
}

type StreamPhase = NonNullable<Results['stream']>;

function streamSection(how: string, phase: StreamPhase): string[] {
  const s = phase.summary;
  return [
    `### Streaming (first token after 50 ms, then 64 tokens 10 ms apart; ${how})\n`,
    `Medians over rounds ${s.roundsUsed.map((x) => x + 1).join(', ')}${s.fromNoisyRounds ? ' (**noisy rounds included**)' : ''}.\n`,
    table(
      [
        'arm',
        'TTFT p50 (ms)',
        'added TTFT p50',
        'added TTFT p99',
        'gap p99 (ms)',
        'added gap p99',
        'content events / expected',
        'merged',
        'errors',
      ],
      Object.entries(s.arms).map(([id, a]) => [
        id,
        f(a.ttftP50Ms, 3),
        id === 'direct' ? '—' : f(a.addedTtftP50Ms, 3),
        id === 'direct' ? '—' : f(a.addedTtftP99Ms, 3),
        f(a.gapP99Ms, 3),
        id === 'direct' ? '—' : f(a.addedGapP99Ms, 3),
        `${a.contentEvents} / ${a.expectedEvents}`,
        a.coalesced,
        a.errors,
      ]),
    ),
    `Rounds: ${roundsLine(phase.rounds)}\n`,
  ];
}

export function renderReport(r: Results): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`## Benchmark (${r.kind}) — ${r.startedAt}\n`);
  out.push(
    `${m.cpuModel}, ${m.nproc} cores, Node ${m.node}, kernel ${m.kernel}; servers ${r.build.mode} from ${r.build.source}; ` +
      `nginx ${r.versions.nginx ?? 'n/a'}; Portkey ${r.versions.portkey ?? 'n/a'}. Command: \`${r.command}\`, ${r.durationS} s.\n`,
  );
  const unavailable = Object.entries(r.arms).filter(([, v]) => v.startsWith('unavailable'));
  for (const [id, why] of unavailable) out.push(`- **${id}**: ${why}\n`);

  if (r.nonstream) {
    const s = r.nonstream.summary;
    out.push(`### Non-streaming chat completion (~250 B request, ~1.4 KB response)\n`);
    out.push(
      `Medians over rounds ${s.roundsUsed.map((x) => x + 1).join(', ')}${s.fromNoisyRounds ? ' (**too few clean rounds: noisy rounds included**)' : ''}. ` +
        `"Added" = arm − direct within the same round.\n`,
    );
    out.push(
      table(
        [
          'arm',
          'p50 c=1 (ms)',
          'added p50 (ms) [IQR]',
          'added p99 (ms)',
          'req/s c=32',
          'vs direct',
          'CPU ms / 1k req',
          'req/s per busy core',
          'direct÷arm RPS (harness ≥2)',
          'errors',
        ],
        Object.entries(s.arms).map(([id, a]) => [
          id,
          f(a.c1P50Ms, 3),
          id === 'direct'
            ? '—'
            : `${f(a.addedP50Ms, 3)} [${f(a.addedP50IqrMs[0], 3)}, ${f(a.addedP50IqrMs[1], 3)}]`,
          id === 'direct' ? '—' : f(a.addedP99Ms, 3),
          a.rps,
          f(a.rpsVsDirect, 3),
          id === 'direct' ? '—' : f(a.cpuMsPer1k, 0),
          id === 'direct' ? '—' : f(1e6 / a.cpuMsPer1k, 0),
          id === 'direct'
            ? '—'
            : `${f(a.directOverArmRps, 2)}${a.directOverArmRps >= 2 ? '' : ' ✗'}`,
          a.errors,
        ]),
      ),
    );
    out.push(
      table(
        ['ratio (per round, then median)', 'value'],
        Object.entries(s.ratios).map(([k, v]) => [k, f(v, 3)]),
      ),
    );
    out.push(`Rounds: ${roundsLine(r.nonstream.rounds)}\n`);
  }
  for (const [id, why] of Object.entries(r.streamingUnavailable ?? {})) {
    out.push(`- **${id}** (streaming and long-lived streams): unavailable: ${why}\n`);
  }
  if (r.stream) out.push(...streamSection('16 concurrent', r.stream));
  if (r.streamC1) out.push(...streamSection('one at a time', r.streamC1));
  if (r.memory && Object.keys(r.memory).length) {
    out.push(`### Long-lived streams (1 token/s)\n`);
    const steps = Object.values(r.memory)[0]!.steps.map((s) => s.open);
    out.push(
      table(
        [
          'arm',
          'RSS after start (MiB)',
          'idle RSS (MiB)',
          ...steps.map((n) => `RSS @${n} (MiB)`),
          'KiB/stream (slope)',
          'KiB/stream (above idle)',
          'after full GC: RSS KiB/stream (slope)',
          'after full GC: KiB/stream above idle',
          'live heap KiB/stream',
          ...steps.map((n) => `ELD p99 @${n} (ms)`),
          'first tokens / errors',
        ],
        Object.entries(r.memory).map(([id, mem]) => [
          id,
          f(mem.startRssKiB / 1024, 1),
          f(mem.idleRssKiB / 1024, 1),
          ...mem.steps.map((s) => f(s.rssKiB / 1024, 1)),
          f(mem.slopeKiBPerStream, 1),
          f(mem.aboveIdleKiBPerStream, 1),
          f(mem.afterGcSlope?.rssKiB, 1),
          f(mem.aboveIdleAfterGcKiBPerStream, 1),
          f(mem.afterGcSlope?.heapUsedKiB, 1),
          ...mem.steps.map((s) => f(s.eld?.p99, 2)),
          mem.steps.map((s) => `${s.hold.withFirstToken}/${s.hold.errors}`).join(', '),
        ]),
      ),
    );
  }
  if (r.micro?.pipeline) {
    out.push(`### Micro-benchmarks (pinned to core 1)\n`);
    out.push(
      table(
        ['operation', 'µs/op (median batch)', 'fastest–slowest batch', 'ops/s'],
        r.micro.pipeline.results.map((x) => [
          x.name,
          f(x.usPerOp, 2),
          `${f(x.minUs, 2)}–${f(x.maxUs, 2)}`,
          x.opsPerSec,
        ]),
      ),
    );
    // Their own text, kept as printed (a code block, so Markdown keeps the columns).
    for (const [file, text] of [
      ['auth-verify.ts', r.micro.authVerify],
      ['cold-path.ts', r.micro.coldPath],
    ] as const) {
      if (text) out.push(`bench/micro/${file}:\n\n\`\`\`text\n${text.slice(0, 2000)}\n\`\`\`\n`);
    }
  }
  // Goals are re-checked from the stored summaries, so a file renders with today's definitions.
  const goals = r.nonstream
    ? checkGoals(
        r.nonstream.summary as Parameters<typeof checkGoals>[0],
        r.stream?.summary as Parameters<typeof checkGoals>[1],
        r.streamC1?.summary as Parameters<typeof checkGoals>[2],
        r.memory,
      )
    : r.goals;
  out.push(`### Goals (llamagate, auth on)\n`);
  out.push(
    table(
      ['goal', 'measured', 'met'],
      goals.map((g) => [
        g.goal,
        g.value,
        (g.met === null ? 'n/a' : g.met ? 'yes' : 'no') +
          (g.noisy ? ' (noisy rounds: indicative)' : ''),
      ]),
    ),
  );
  return `${out.join('\n')}\n`;
}
