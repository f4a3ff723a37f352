/**
 * `node --import tsx bench/hops.ts [--arms bare-proxy,fastify-proxy,llamagate-auth] [--rounds 3]
 * [--source head|worktree] [--cpu 1]`: where a Node arm's share of the time to first token goes,
 * one stream at a time. Through the probe, each arm reports per stream the time from the request's
 * headers to the upstream request written (request path), from that to the upstream's response
 * headers (upstream wait: the stand-in's 50 ms and two loopback trips) and from those to the first
 * write to the client that carries text (first-event path); the client reports the time to first
 * token. The request path is split at fastify's route handler starting (hooks and body read done)
 * and at undici's request being created (validation and translation done); the bare proxy has no
 * route handler. Arms are interleaved, each round in a fresh process pinned to `--cpu`, after a
 * warm-up; medians are printed. With HOP_MARKS=1 the median time of every mark (the probe's and
 * any a local build placed with `globalThis.__hopMark?.('label')`) is printed per round. `--out
 * FILE` keeps the rounds' raw figures as JSON.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { StreamResult } from './load/protocol.js';
import type { ArmId } from './lib/arms.js';
import { startArm } from './lib/arms.js';
import { buildServers } from './lib/build.js';
import { startTokenPool } from './lib/idp.js';
import { startLoadClient } from './lib/load-client.js';
import { startUpstream } from './lib/procs.js';
import { STREAM_TOKENS } from './lib/workload.js';

const { values } = parseArgs({
  options: {
    arms: { type: 'string', default: 'bare-proxy,fastify-proxy,llamagate-noauth,llamagate-auth' },
    rounds: { type: 'string', default: '3' },
    streams: { type: 'string', default: '12' },
    source: { type: 'string', default: 'head' },
    cpu: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const armIds = values.arms.split(',') as ArmId[];
const rounds = Number(values.rounds);
const streams = Number(values.streams);

/** What the probe reports per round (medians in ms), with the table's column for each. */
const HOP_COLUMNS = {
  requestPathMs: 'request path (ms)',
  toHandlerMs: 'headers → route handler (ms)',
  toCreatedMs: 'headers → upstream request created (ms)',
  firstEventPathMs: 'first-event path (ms)',
  upstreamWaitMs: 'upstream wait (ms)',
} as const;
type HopKey = keyof typeof HOP_COLUMNS;
const HOP_KEYS = Object.keys(HOP_COLUMNS) as HopKey[];

type Sample = { ttftMs: number } & Record<HopKey, number>;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

const workDir = mkdtempSync(join(tmpdir(), 'llamagate-hops-'));
const built = await buildServers(values.source === 'worktree' ? 'worktree' : 'head');
const upstream = await startUpstream(built, '0');
const tokens = await startTokenPool(join(workDir, 'idp'), 32);
const client = startLoadClient(built, '0');
const samples = new Map<ArmId, Sample[]>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const id of ['direct' as ArmId, ...armIds]) {
      const arm = await startArm(id, {
        built,
        workDir,
        upstream: upstream.ready as { ollama: string; openai: string },
        cpu: values.cpu,
        tokens,
      });
      try {
        const auth = arm.auth ? { tokens: await tokens.tokens() } : {};
        const target = { ...arm.target('stream'), ...auth };
        const fast = { ...arm.target('fast'), ...auth };
        await client.send({
          cmd: 'closed',
          target: fast,
          concurrency: 1,
          warmup: 500,
          requests: 0,
        });
        const batch = {
          cmd: 'stream' as const,
          target,
          concurrency: 1,
          expectTokens: STREAM_TOKENS,
        };
        await client.send<StreamResult>({ ...batch, streams: 3 });
        await arm.probe?.probe('hops-start');
        const result = await client.send<StreamResult>({ ...batch, streams });
        const read = (await arm.probe?.probe('hops-read')) as
          | { hops: Partial<Record<HopKey, number | null>> & { marks?: Record<string, number> } }
          | undefined;
        const marks = read?.hops.marks;
        if (marks && process.env.HOP_MARKS) {
          const sorted = Object.entries(marks).sort((a, b) => a[1] - b[1]);
          process.stderr.write(
            `${id} ${sorted.map(([k, v]) => `${k}=${v.toFixed(3)}`).join(' ')}\n`,
          );
        }
        const list = samples.get(id) ?? [];
        // A median the probe could not take arrives as null (NaN does not survive JSON).
        const hops = Object.fromEntries(HOP_KEYS.map((k) => [k, read?.hops[k] ?? NaN]));
        list.push({ ttftMs: result.ttft.p50, ...(hops as Record<HopKey, number>) });
        samples.set(id, list);
      } finally {
        await arm.stop();
      }
    }
  }
} finally {
  await client.close();
  await upstream.stop();
  await tokens.close();
  rmSync(workDir, { recursive: true, force: true });
}

const direct = samples.get('direct') ?? [];
const rows = armIds.map((id) => {
  const list = samples.get(id) ?? [];
  const added = list.map((s, i) => s.ttftMs - (direct[i]?.ttftMs ?? NaN));
  const hops = Object.fromEntries(HOP_KEYS.map((k) => [k, median(list.map((s) => s[k]))]));
  return { arm: id, addedTtftMs: median(added), ...(hops as Record<HopKey, number>) };
});
const cells = (items: (string | number)[]) =>
  `| ${items.map((v) => (typeof v === 'number' ? v.toFixed(3) : v)).join(' | ')} |`;
process.stdout.write(
  `${cells(['arm', 'added TTFT p50 (ms)', ...Object.values(HOP_COLUMNS)])}\n` +
    `${cells(Array(HOP_KEYS.length + 2).fill('---'))}\n` +
    rows.map((r) => cells([r.arm, r.addedTtftMs, ...HOP_KEYS.map((k) => r[k])])).join('\n') +
    `\n\nMedians over ${rounds} rounds of ${streams} streams, one at a time (source: ${built.source}).\n`,
);
if (values.out) {
  const raw = Object.fromEntries(samples);
  const run = { source: built.source, cpu: values.cpu, rounds, streams, rows, samples: raw };
  writeFileSync(values.out, `${JSON.stringify(run, null, 2)}\n`);
}
