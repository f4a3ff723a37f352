/**
 * The load generator: a separate process driven by JSON commands on stdin (one per line), each
 * answered by one JSON line on stdout. Closed-loop, undici Pool per command (fresh keep-alive
 * connections), times taken with process.hrtime.bigint().
 *   {"cmd":"closed", target, concurrency, warmup, requests?, durationMs?}
 *   {"cmd":"stream", target, concurrency, streams, expectTokens}
 *   {"cmd":"hold", target, count, timeoutMs}     opens `count` more long-lived streams
 *   {"cmd":"release"}                            closes every held stream
 * Every command is bounded in requests and time.
 */
import { createInterface } from 'node:readline';
import { closedLoop, runStreams } from './drivers.js';
import { HeldStreams } from './hold.js';
import type { Command } from './protocol.js';

const held = new HeldStreams();

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'closed':
      return closedLoop(command);
    case 'stream':
      return runStreams(command);
    case 'hold':
      return held.openMore(command);
    case 'release':
      return held.release();
  }
}

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    let reply: unknown;
    try {
      reply = await handle(JSON.parse(line) as Command);
    } catch (err) {
      reply = { error: String((err as Error)?.stack ?? err) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  });
});
lines.on('close', () => void queue.then(() => process.exit(0)));
