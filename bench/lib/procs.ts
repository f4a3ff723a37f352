/**
 * Child processes of the benchmark: each server runs pinned to a core (taskset) with the open-file
 * limit raised, announces itself with one JSON line on stdout, and (for Node servers with the
 * probe preloaded) answers probe commands through stdin/stderr.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Built } from './build.js';

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The first JSON line the process printed on stdout (or `{}` for readiness by other means). */
  ready: Record<string, unknown>;
  /** Sends a probe command (`reset` / `read`) and waits for its answer. */
  probe(command: string): Promise<Record<string, unknown>>;
  /** Lines the process wrote to stderr that are not probe answers (last 50). */
  stderrTail: string[];
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  /** Core list for taskset, e.g. "1"; unpinned when absent. */
  cpu?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Waits for this instead of a JSON line on stdout. */
  readyWhen?: () => Promise<boolean>;
  timeoutMs?: number;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Servers still running. An interrupted run stops them too: Node servers exit when their stdin
 * closes with ours, but nginx would stay behind, holding its port and a share of a core.
 */
const running = new Set<ChildProcess>();
let signalsHandled = false;

function stopAllOnSignal(): void {
  if (signalsHandled) return;
  signalsHandled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of running) child.kill('SIGTERM');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Starts a server process and waits until it is ready. */
export async function startProc(o: SpawnOptions): Promise<Proc> {
  const exec = [...(o.cpu ? ['taskset', '-c', o.cpu] : []), o.command, ...o.args];
  // `exec` all the way down keeps one pid: the shell becomes taskset, which becomes the server.
  const script = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${exec.map(quote).join(' ')}`;
  const child = spawn('sh', ['-c', script], {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  stopAllOnSignal();
  running.add(child);
  const stderrTail: string[] = [];
  const waiters: Array<(v: Record<string, unknown>) => void> = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.startsWith('@@probe ')) return void waiters.shift()?.(JSON.parse(line.slice(8)));
    stderrTail.push(line);
    if (stderrTail.length > 50) stderrTail.shift();
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      resolve();
    }),
  );

  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${o.name} not ready in time; stderr: ${stderrTail.join('\n')}`)),
      o.timeoutMs ?? 20_000,
    );
    const done = (v: Record<string, unknown>) => (clearTimeout(timer), resolve(v));
    void exit.then(() =>
      reject(new Error(`${o.name} exited during start-up; stderr: ${stderrTail.join('\n')}`)),
    );
    if (o.readyWhen) {
      const poll = async () => {
        if (exited) return;
        if (await o.readyWhen!().catch(() => false)) return done({});
        setTimeout(() => void poll(), 50);
      };
      void poll();
      return;
    }
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) return;
      try {
        done(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not the announcement */
      }
    });
  });
  child.stdout!.resume();

  return {
    name: o.name,
    pid: child.pid!,
    child,
    ready,
    stderrTail,
    probe(command) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${o.name}: no probe answer`)), 5000);
        waiters.push((v) => (clearTimeout(timer), resolve(v)));
        child.stdin!.write(`${command}\n`);
      });
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** A free loopback port (for servers that need one given, like Portkey). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts the upstream stand-ins (bench/servers/upstream.ts) on `cpu`; `ready` holds their URLs. */
export function startUpstream(built: Built, cpu: string): Promise<Proc> {
  return startProc({
    name: 'upstream',
    command: process.execPath,
    args: built.command('upstream'),
    cpu,
    env: { NODE_ENV: 'production' },
  });
}
