/**
 * Runs the micro-benchmarks pinned to the gateway's core: ours (bench/micro/run.ts), then
 * bench/micro/auth-verify.ts and bench/micro/cold-path.ts.
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
  // Scripts that print their own text (they load test helpers or time single calls, so they run
  // under tsx): the output is kept as printed.
  const scripts = [
    { key: 'authVerify', file: 'auth-verify.ts', arg: quick ? '300' : '2000' },
    { key: 'coldPath', file: 'cold-path.ts', arg: quick ? '10' : '30' },
  ];
  for (const { key, file, arg } of scripts) {
    const path = join(BENCH_DIR, 'micro', file);
    if (!existsSync(path)) {
      out[key] = `bench/micro/${file} not present`;
      continue;
    }
    try {
      const res = await run(
        'taskset',
        ['-c', cpu, process.execPath, '--import', 'tsx', path, arg],
        { cwd: ROOT_DIR, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      );
      out[key] = res.stdout.trim();
    } catch (err) {
      out[key] = `failed: ${String((err as Error).message).slice(0, 500)}`;
      log(`bench/micro/${file} failed`);
    }
  }
  return out;
}
