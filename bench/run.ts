/**
 * `npm run bench [-- --quick]`: llamagate's overhead side by side with a direct call, a bare
 * Node proxy, nginx and Portkey's gateway, against the same upstream stand-in. Load client,
 * stand-ins and this orchestrator share core 0; the system under test runs alone on core 1.
 * Raw results go to bench/results/<time>-<full|quick>.json; a Markdown summary is printed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamResult } from './load/protocol.js';
import type { Arm } from './lib/arms.js';
import { ARM_DESCRIPTIONS, startArm } from './lib/arms.js';
import { BENCH_DIR, buildServers } from './lib/build.js';
import { startTokenPool } from './lib/idp.js';
import type { TokenPool } from './lib/idp.js';
import { startLoadClient } from './lib/load-client.js';
import { machineFacts } from './lib/machine.js';
import { runMicro } from './lib/micro.js';
import { ensureNginx, nginxVersion } from './lib/nginx.js';
import { NoiseMeter } from './lib/noise.js';
import { parseOptions } from './lib/options.js';
import type { MemorySample, NonStreamSample } from './lib/phases.js';
import {
  measureMemory,
  measureNonStream,
  measureStream,
  streamPreflight,
  sumRss,
} from './lib/phases.js';
import { portkeyStatus } from './lib/portkey.js';
import { startUpstream } from './lib/procs.js';
import type { Proc } from './lib/procs.js';
import { renderReport } from './lib/report.js';
import type { Results } from './lib/report.js';
import { runRounds } from './lib/rounds.js';
import { checkGoals, summariseNonStream, summariseStream } from './lib/summary.js';

const LOAD_CPU = '0';
const SUT_CPU = '1';
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const opts = parseOptions(process.argv.slice(2));
const startedAt = new Date();
const t0 = Date.now();

// The orchestrator, the IdP in it, the stand-ins and the load client all live on core 0.
try {
  execFileSync('taskset', ['-a', '-p', '-c', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
} catch {
  log('taskset is not available: processes are not pinned');
}

const machine = machineFacts();
log(
  `${machine.cpuModel}, ${machine.nproc} cores, Node ${machine.node}, load ${machine.loadAvgAtStart.join(' ')}`,
);
const workDir = mkdtempSync(join(tmpdir(), 'llamagate-bench-'));
const built = await buildServers(opts.source);
log(`servers compiled with ${built.mode} from ${built.source}`);

const unavailable: Record<string, string> = {};
const streamUnavailable: Record<string, string> = {};
let nginxBin: string | undefined;
let nginxVer: string | undefined;
if (opts.arms.includes('nginx')) {
  try {
    nginxBin = ensureNginx(log);
    nginxVer = nginxVersion(nginxBin);
  } catch (err) {
    unavailable.nginx = `nginx could not be installed: ${String(err)}`;
  }
}
const pk = portkeyStatus();
if (opts.arms.includes('portkey') && 'unavailable' in pk) unavailable.portkey = pk.unavailable;

const procs: Proc[] = [];
const arms: Arm[] = [];
let tokens: TokenPool | undefined;
let client: ReturnType<typeof startLoadClient> | undefined;
const results: Record<string, unknown> = {};
try {
  const upstream = await startUpstream(built, LOAD_CPU);
  procs.push(upstream);
  const urls = upstream.ready as { ollama: string; openai: string };
  if (opts.arms.some((a) => a.startsWith('llamagate-auth'))) {
    tokens = await startTokenPool(join(workDir, 'idp'), 32);
  }
  const startRss: Record<string, number> = {};
  for (const id of opts.arms) {
    if (unavailable[id]) continue;
    try {
      const arm = await startArm(id, {
        built,
        workDir,
        upstream: urls,
        cpu: SUT_CPU,
        ...(tokens ? { tokens } : {}),
        ...(nginxBin ? { nginxBin } : {}),
      });
      arms.push(arm);
      if (arm.pids().length) startRss[id] = sumRss(arm.pids());
    } catch (err) {
      unavailable[id] = `failed to start: ${String((err as Error).message).slice(0, 500)}`;
      log(`${id} unavailable: ${unavailable[id]}`);
    }
  }
  client = startLoadClient(built, LOAD_CPU);
  const ourPids = () => [
    process.pid,
    client!.pid,
    ...procs.map((p) => p.pid),
    ...arms.flatMap((a) => a.pids()),
  ];
  const meter = new NoiseMeter(ourPids, machine.nproc);
  const roundOpts = {
    maxExtraRounds: opts.quick ? 1 : 3,
    maxForeignPct: opts.maxForeignPct,
    maxStealPct: 5,
    log,
  };
  const errorsIn = (rec: Record<string, { errors: number }>) => {
    const bad = Object.entries(rec).filter(([, v]) => v.errors > 0);
    return bad.length ? `errors in ${bad.map(([k]) => k).join(', ')}` : undefined;
  };

  if (opts.phases.includes('nonstream')) {
    log('non-streaming: c=1 latency and c=32 throughput, arms interleaved');
    const rounds = await runRounds(
      arms,
      meter,
      {
        ...roundOpts,
        rounds: opts.rounds,
        budgetMs: opts.budgets.nonstreamMs,
        label: 'non-streaming',
      },
      (arm) => measureNonStream(arm, client!, opts.settings, tokens),
      (rec: Record<string, NonStreamSample>) =>
        errorsIn(
          Object.fromEntries(
            Object.entries(rec).map(([k, v]) => [k, { errors: v.c1.errors + v.c32.errors }]),
          ),
        ),
    );
    results.nonstream = { rounds, summary: summariseNonStream(rounds) };
  }
  const streaming = arms.filter((a) => !streamUnavailable[a.id]);
  if (opts.phases.includes('stream') || opts.phases.includes('memory')) {
    for (const arm of arms) {
      const why = await streamPreflight(arm, client, tokens);
      if (!why) continue;
      streamUnavailable[arm.id] = why;
      streaming.splice(streaming.indexOf(arm), 1);
      log(`${arm.id}: streaming unavailable: ${why}`);
    }
  }
  if (opts.phases.includes('stream')) {
    log('streaming: TTFT, inter-token gaps, chunk fidelity, arms interleaved');
    const rounds = await runRounds(
      streaming,
      meter,
      {
        ...roundOpts,
        rounds: opts.streamRounds,
        budgetMs: opts.budgets.streamMs,
        label: 'streaming',
      },
      (arm) => measureStream(arm, client!, opts.settings.stream, tokens),
      (rec: Record<string, StreamResult>) => errorsIn(rec),
    );
    results.stream = { rounds, summary: summariseStream(rounds) };
    log('streaming, one stream at a time: TTFT without queueing, arms interleaved');
    const c1 = { concurrency: 1, streams: opts.settings.streamC1.streams };
    const roundsC1 = await runRounds(
      streaming,
      meter,
      {
        ...roundOpts,
        rounds: opts.streamRounds,
        budgetMs: opts.budgets.streamC1Ms,
        label: 'streaming c=1',
      },
      (arm) => measureStream(arm, client!, c1, tokens),
      (rec: Record<string, StreamResult>) => errorsIn(rec),
    );
    results.streamC1 = { rounds: roundsC1, summary: summariseStream(roundsC1) };
  }
  if (opts.phases.includes('memory')) {
    const memory: Record<string, MemorySample> = {};
    for (const arm of streaming) {
      if (arm.id === 'direct' || !opts.settings.hold.arms.includes(arm.id)) continue;
      log(`long-lived streams on ${arm.id}: ${opts.settings.hold.steps.join(' then ')} open`);
      meter.begin();
      const sample = await measureMemory(
        arm,
        client,
        opts.settings,
        startRss[arm.id] ?? NaN,
        tokens,
      );
      memory[arm.id] = { ...sample, noise: meter.end() } as MemorySample;
    }
    results.memory = memory;
  }
  if (opts.phases.includes('micro')) {
    log('micro-benchmarks on core 1');
    results.micro = await runMicro(built, SUT_CPU, opts.quick, log);
  }
} finally {
  await client?.close().catch(() => {});
  for (const arm of arms) await arm.stop().catch(() => {});
  for (const p of procs) await p.stop().catch(() => {});
  await tokens?.close().catch(() => {});
  rmSync(workDir, { recursive: true, force: true });
}

type NS = ReturnType<typeof summariseNonStream>;
type ST = ReturnType<typeof summariseStream>;
const ns = (results.nonstream as { summary: NS } | undefined)?.summary;
const st = (results.stream as { summary: ST } | undefined)?.summary;
const stC1 = (results.streamC1 as { summary: ST } | undefined)?.summary;
const output = {
  kind: opts.quick ? 'quick' : 'full',
  startedAt: startedAt.toISOString(),
  durationS: Math.round((Date.now() - t0) / 1000),
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine,
  build: { mode: built.mode, source: built.source },
  versions: { nginx: nginxVer, portkey: 'version' in pk ? pk.version : undefined },
  pinning: { loadClientUpstreamOrchestrator: LOAD_CPU, systemUnderTest: SUT_CPU },
  settings: opts.settings,
  arms: Object.fromEntries(
    opts.arms.map((a) => [
      a,
      unavailable[a] ? `unavailable: ${unavailable[a]}` : ARM_DESCRIPTIONS[a],
    ]),
  ),
  streamingUnavailable: streamUnavailable,
  goals: checkGoals(ns, st, stC1, results.memory as Record<string, MemorySample> | undefined),
  ...results,
};
const stamp = startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outFile = opts.out ?? join(BENCH_DIR, 'results', `${stamp}-${output.kind}.json`);
mkdirSync(join(outFile, '..'), { recursive: true });
writeFileSync(outFile, `${JSON.stringify(output, null, 1)}\n`);
process.stdout.write(renderReport(output as unknown as Results));
log(`raw results: ${outFile} (${output.durationS} s)`);
