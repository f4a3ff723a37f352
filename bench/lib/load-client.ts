/** The orchestrator's handle on the load-client process (JSON lines over stdin/stdout). */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Command } from '../load/protocol.js';
import type { Built } from './build.js';

export interface LoadClient {
  pid: number;
  send<T>(command: Command, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export function startLoadClient(built: Built, cpu: string): LoadClient {
  const script = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec taskset -c ${cpu} "$@"`;
  const child: ChildProcess = spawn(
    'sh',
    ['-c', script, 'sh', process.execPath, ...built.command('client')],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  const waiters: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiters.shift()?.(line));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    send<T>(command: Command, timeoutMs = 180_000) {
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`load client: ${command.cmd} timed out`)),
          timeoutMs,
        );
        waiters.push((line) => {
          clearTimeout(timer);
          const reply = JSON.parse(line) as T & { error?: string };
          if (reply.error) reject(new Error(`load client: ${reply.error}`));
          else resolve(reply);
        });
        child.stdin!.write(`${JSON.stringify(command)}\n`);
      });
    },
    async close() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
