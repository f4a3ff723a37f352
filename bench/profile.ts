/**
 * `node --import tsx bench/profile.ts [--arm llamagate-auth] [--seconds 15] [--stream]`:
 * profiles one gateway arm (pinned to core 1, V8 sampling profiler started through the probe after
 * a warm-up) under c=32 non-streaming load (or 16 concurrent streams with --stream), then prints
 * where its CPU time went. The raw
 * .cpuprofile is kept in bench/results/tmp/ for Chrome DevTools.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ClosedResult, StreamResult } from './load/protocol.js';
import type { ArmId } from './lib/arms.js';
import { startArm } from './lib/arms.js';
import { BENCH_DIR, buildServers } from './lib/build.js';
import { summariseProfile } from './lib/cpuprofile.js';
import { startTokenPool } from './lib/idp.js';
import { startLoadClient } from './lib/load-client.js';
import { startUpstream } from './lib/procs.js';
import { STREAM_TOKENS } from './lib/workload.js';

const { values } = parseArgs({
  options: {
    arm: { type: 'string', default: 'llamagate-auth' },
    seconds: { type: 'string', default: '15' },
    stream: { type: 'boolean', default: false },
    source: { type: 'string', default: 'head' },
  },
});
const armId = values.arm as ArmId;
const seconds = Number(values.seconds);
const log = (l: string) => process.stderr.write(`[profile] ${l}\n`);

const workDir = mkdtempSync(join(tmpdir(), 'llamagate-profile-'));
const profDir = join(BENCH_DIR, 'results', 'tmp', `${armId}-${Date.now()}`);
mkdirSync(profDir, { recursive: true });
const built = await buildServers(values.source === 'worktree' ? 'worktree' : 'head');
const upstream = await startUpstream(built, '0');
const tokens = armId.startsWith('llamagate-auth')
  ? await startTokenPool(join(workDir, 'idp'), 32)
  : undefined;
const arm = await startArm(armId, {
  built,
  workDir,
  upstream: upstream.ready as { ollama: string; openai: string },
  cpu: '1',
  ...(tokens ? { tokens } : {}),
});
const client = startLoadClient(built, '0');
try {
  const target = values.stream ? arm.target('stream') : arm.target('fast');
  const withTokens = arm.auth && tokens ? { ...target, tokens: await tokens.tokens() } : target;
  if (!arm.probe) throw new Error(`${armId} is not a Node process with the probe`);
  // Warm up first, so the profile shows steady state rather than start-up and JIT warm-up.
  await client.send({
    cmd: 'closed',
    target: withTokens,
    concurrency: 32,
    warmup: 2000,
    requests: 0,
  });
  log(JSON.stringify(await arm.probe.probe('profile-start')));
  log(
    `${armId}: ${values.stream ? '16 concurrent streams' : 'c=32 non-streaming'} for ${seconds} s`,
  );
  const result = values.stream
    ? await client.send<StreamResult>({
        cmd: 'stream',
        target: withTokens,
        concurrency: 16,
        streams: Math.round((seconds * 16) / 0.75),
        expectTokens: STREAM_TOKENS,
      })
    : await client.send<ClosedResult>({
        cmd: 'closed',
        target: withTokens,
        concurrency: 32,
        warmup: 0,
        durationMs: seconds * 1000,
      });
  const probe = arm.probe!;
  log(JSON.stringify(await probe.probe(`profile-stop ${join(profDir, `${armId}.cpuprofile`)}`)));
  log(
    `load: ${JSON.stringify(values.stream ? { streams: (result as StreamResult).streams } : { rps: Math.round((result as ClosedResult).rps) })}`,
  );
} finally {
  await client.close();
  await arm.stop();
  await upstream.stop();
  await tokens?.close();
  rmSync(workDir, { recursive: true, force: true });
}
const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile in ${profDir}`);
const summary = summariseProfile(join(profDir, file), [
  'installIdentityHooks',
  'authenticate',
  'parseOpenAIChat',
  'chatCompletionBody',
  'collect',
  'sendUpstream',
  'installRequestLog',
  'serialize',
  'wrapThenable',
]);
writeFileSync(join(profDir, 'summary.json'), `${JSON.stringify(summary, null, 1)}\n`);
process.stdout.write(`${JSON.stringify(summary, null, 1)}\n`);
log(`profile: ${join(profDir, file)}`);
