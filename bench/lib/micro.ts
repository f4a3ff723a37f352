/**
 * Runs the micro-benchmarks pinned to the gateway's core: ours (bench/micro/run.ts) and, when
 * present, bench/micro/auth-verify.ts, whose output is kept as it printed it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Built } from './build.js';
import { BENCH_DIR, ROOT_DIR } from './build.js';

const run = promisify(execFile);

export async function runMicro(
  built: Built,
  cpu: string,
  quick: boolean,
  log: (l: string) => void,
) {
  const out: Record<string, unknown> = {};
  const args = [...built.command('micro'), ...(quick ? ['--quick'] : [])];
  const { stdout } = await run('taskset', ['-c', cpu, process.execPath, ...args], {
    cwd: ROOT_DIR,
    timeout: 180_000,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  out.pipeline = JSON.parse(stdout.trim().split('\n').pop()!);
  const authVerify = join(BENCH_DIR, 'micro', 'auth-verify.ts');
  if (existsSync(authVerify)) {
    try {
      const res = await run(
        'taskset',
        ['-c', cpu, process.execPath, '--import', 'tsx', authVerify, quick ? '300' : '2000'],
        { cwd: ROOT_DIR, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      );
      out.authVerify = res.stdout.trim();
    } catch (err) {
      out.authVerify = `failed: ${String((err as Error).message).slice(0, 500)}`;
      log(`bench/micro/auth-verify.ts failed`);
    }
  } else {
    out.authVerify = 'bench/micro/auth-verify.ts not present';
  }
  return out;
}
