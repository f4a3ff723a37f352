/**
 * Real `llamagate` processes for end-to-end tests: each command runs as its own child process
 * (`node --import tsx src/cli/main.ts ...`), exactly as a user would start it.
 *
 *   const idp = startCli(['idp', '--port', '0'], { name: 'idp', cwd: dir });
 *   const [, url] = await idp.waitForOutput(/listening on (\S+)/);
 *   const { code, stdout } = await runCli(['token'], { env, cwd: dir });
 *   await idp.stop();                         // SIGTERM, then SIGKILL after a grace period
 *   after(() => stopAll());                   // in every file: nothing outlives the tests
 *
 * The children get a scrubbed environment (none of the tutorial's variables leak in from the
 * developer's shell) and run in `cwd`, so a `.env` in the checkout cannot change what they do.
 * Every process ever started is killed when the test process exits, even after a failure.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI_ENTRY = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** Resolved here so children can run in any directory. */
const TSX_LOADER = import.meta.resolve('tsx');

/** Variables that configure llamagate; children only see the ones a test sets. */
const SCRUBBED =
  /^(KEYCLOAK_|LLS_|LLAMA_|LLAMAGATE_|OLLAMA_|INFERENCE_MODEL$|CLIENT_|DEBUG$|NODE_TEST_CONTEXT$)/;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** stdout and stderr interleaved in arrival order. */
  output(): string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match in the output so far or to come; rejects if the process exits. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Settles when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  /** Undefined while running. */
  exitInfo(): ExitInfo | undefined;
  /** Sends `signal` (default SIGTERM), then SIGKILL after `graceMs`; resolves on exit. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<ExitInfo>;
}

export interface CliOptions {
  /** Label used in failure messages. */
  name?: string;
  /** Added to the scrubbed environment. */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

const running = new Set<CliProcess>();
process.once('exit', () => {
  for (const proc of running) proc.child.kill('SIGKILL');
});

/** The environment children start from: this process's, minus llamagate's own variables. */
export function scrubbedEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!SCRUBBED.test(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Starts `llamagate <args>` as a child process. */
export function startCli(args: string[], options: CliOptions = {}): CliProcess {
  const name = options.name ?? args[0] ?? 'llamagate';
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_ENTRY, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: scrubbedEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let all = '';
  let out = '';
  let err = '';
  let info: ExitInfo | undefined;
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((notify) => notify());
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    all += text;
    out += text;
    changed();
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    all += text;
    err += text;
    changed();
  });
  const exited = new Promise<ExitInfo>((resolve) => {
    // 'close' rather than 'exit': by then every byte of output has been read.
    child.once('close', (code, signal) => {
      info = { code, signal };
      running.delete(proc);
      changed();
      resolve(info);
    });
    child.once('error', (error) => {
      all += `\n[spawn failed: ${error.message}]`;
      info = { code: null, signal: null };
      running.delete(proc);
      changed();
      resolve(info);
    });
  });

  const proc: CliProcess = {
    name,
    child,
    output: () => all,
    stdout: () => out,
    stderr: () => err,
    exited,
    exitInfo: () => info,
    waitForOutput(pattern, timeoutMs = 45_000) {
      return new Promise((resolve, reject) => {
        const finish = (fn: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          fn();
        };
        const check = () => {
          const match = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(all);
          if (match) return finish(() => resolve(match));
          if (info) {
            const how = info.signal ?? `code ${info.code}`;
            finish(() => reject(new Error(`${name} exited (${how}) before ${pattern}:\n${all}`)));
          }
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(new Error(`${name}: no ${pattern} within ${timeoutMs} ms; output:\n${all}`)),
            ),
          timeoutMs,
        );
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (info) return info;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  running.add(proc);
  return proc;
}

export interface CliResult extends ExitInfo {
  stdout: string;
  stderr: string;
}

/** Runs a one-shot command (e.g. `token`) to completion; killed after `timeoutMs`. */
export async function runCli(
  args: string[],
  options: CliOptions & { timeoutMs?: number } = {},
): Promise<CliResult> {
  const proc = startCli(args, options);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
  try {
    const info = await proc.exited;
    return { ...info, stdout: proc.stdout(), stderr: proc.stderr() };
  } finally {
    clearTimeout(timer);
  }
}

/** Stops every process still running (in parallel). Use in `after` hooks. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.stop()));
}

/** A port that was free a moment ago (bind to 0, read it, close). */
/** The first port of the kernel's ephemeral range (where `listen(0)` ports come from). */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * A port that is free now, taken from below the kernel's ephemeral range. Every `listen(0)` and
 * outgoing connection of the tests running alongside draws from that range, so a port a test
 * leaves unbound for a while (a server started later, or restarted on the same port) could
 * otherwise be taken in between.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free port between 10000 and ${low}`);
}

/** True when nothing accepts connections on 127.0.0.1:`port`. */
export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
