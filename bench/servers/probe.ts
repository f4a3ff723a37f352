/**
 * Benchmark-only preload (`node --import probe.mjs <server>`) for every Node server under test,
 * ours or not: it keeps the server on loopback and gives the benchmark a side channel that is no
 * route of the server. Commands arrive as lines on stdin; answers go to stderr as
 * `@@probe {json}` lines.
 *   reset -> restarts the event-loop delay histogram
 *   read  -> {"eld":{"p50","p99","max","mean"} (ms), "mem": process.memoryUsage()}
 *   profile-start / profile-stop FILE -> a V8 CPU profile of exactly that window (100 µs sampling)
 *   gc      -> a full garbage collection, then the same answer as `read` (live memory only)
 *   snapshot FILE -> a V8 heap snapshot, for explaining memory per open stream
 *   hops-start / hops-read -> per request, the time from the request's headers to the upstream
 *     request written (request path) and from the upstream's response headers to the first
 *     write to the client that carries a token's text (first-event path), from node:http and
 *     undici diagnostics channels; `hops-read` answers the medians in ms since `hops-start` (for
 *     bench/hops.ts). A local build may add its own marks: `globalThis.__hopMark?.('label')`.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { ServerResponse } from 'node:http';
import { Session } from 'node:inspector';
import { Server } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';

const LOOPBACK = '127.0.0.1';
const ANY = new Set([undefined, '', '0.0.0.0', '::']);

// Some servers (Portkey's node build) listen on every interface; the benchmark must not.
const listen = Server.prototype.listen as (this: Server, ...args: unknown[]) => Server;
Server.prototype.listen = function patched(this: Server, ...args: unknown[]) {
  const [first, second] = args;
  if (typeof first === 'number' || typeof first === 'string') {
    if (typeof second === 'function' || ANY.has(second as string | undefined)) {
      const rest = typeof second === 'function' ? args.slice(1) : args.slice(2);
      return listen.call(this, first, LOOPBACK, ...rest);
    }
  } else if (first && typeof first === 'object' && !('fd' in first) && !('path' in first)) {
    const options = first as { host?: string };
    if (ANY.has(options.host)) args[0] = { ...options, host: LOOPBACK };
  }
  return listen.apply(this, args);
} as Server['listen'];

const eld = monitorEventLoopDelay({ resolution: 10 });
eld.enable();

const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;

let session: Session | undefined;

function post(method: string, params?: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) =>
    session!.post(method, params ?? {}, (err, result) =>
      err ? reject(err) : resolve((result ?? {}) as Record<string, unknown>),
    ),
  );
}

async function profile(command: string): Promise<object> {
  if (command === 'profile-start') {
    session = new Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
    return { profiling: true };
  }
  const file = command.slice('profile-stop '.length);
  const { profile: data } = await post('Profiler.stop');
  writeFileSync(file, JSON.stringify(data));
  session?.disconnect();
  session = undefined;
  return { profile: file };
}

let collect: (() => void) | undefined;

/** A full GC without starting the server with --expose-gc (the flag is set just for this). */
function fullGc(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

/** KiB committed and used per V8 heap space: which part of the heap grows with open streams. */
function heapSpaces(): Record<string, { sizeKiB: number; usedKiB: number }> {
  const spaces: Record<string, { sizeKiB: number; usedKiB: number }> = {};
  for (const s of getHeapSpaceStatistics()) {
    spaces[s.space_name] = {
      sizeKiB: Math.round(s.space_size / 1024),
      usedKiB: Math.round(s.space_used_size / 1024),
    };
  }
  return spaces;
}

/**
 * One request in flight at a time (the hops are measured one stream at a time), so the marks of
 * the current request are module state.
 */
interface Hops {
  start: number;
  /** Marks a local build may place by hand: `globalThis.__hopMark?.('label')`. */
  marks?: Record<string, number>;
  handler?: number;
  created?: number;
  sent?: number;
  upstreamHeaders?: number;
  firstWrite?: number;
}
let hops: { current?: Hops; done: Hops[] } | undefined;
/** An OpenAI chunk with non-empty `content`. */
const TEXT = /"content":"[^"]/;

function startHops(): void {
  if (!hops) {
    const mark = (key: 'handler' | 'created' | 'sent' | 'upstreamHeaders') => () => {
      const current = hops?.current;
      if (current && current[key] === undefined) current[key] = performance.now();
    };
    (globalThis as { __hopMark?: (label: string) => void }).__hopMark = (label) => {
      const current = hops?.current;
      if (!current) return;
      current.marks ??= {};
      current.marks[label] ??= performance.now();
    };
    subscribe('http.server.request.start', () => {
      if (hops) hops.current = { start: performance.now() };
    });
    // Fastify's route handler starting (hooks and body parsing done), undici's request created
    // (validation and translation done): they split the request path of the llamagate arms.
    subscribe('tracing:fastify.request.handler:start', mark('handler'));
    subscribe('undici:request:create', mark('created'));
    subscribe('undici:client:sendHeaders', mark('sent'));
    subscribe('undici:request:headers', mark('upstreamHeaders'));
    // The first write that carries text: a stream's opening (role only) is not a token yet.
    const hasText = (chunk: unknown) =>
      (typeof chunk === 'string' || Buffer.isBuffer(chunk)) && TEXT.test(chunk.toString());
    const write = ServerResponse.prototype.write;
    ServerResponse.prototype.write = function patched(this: ServerResponse, ...args: unknown[]) {
      const current = hops?.current;
      if (
        current &&
        current.firstWrite === undefined &&
        current.upstreamHeaders !== undefined &&
        hasText(args[0])
      ) {
        current.firstWrite = performance.now();
        hops!.done.push(current);
      }
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as ServerResponse['write'];
  }
  hops = { done: [] };
}

function readHops(): object {
  const median = (xs: number[]) => {
    const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    return sorted.length ? Math.round(sorted[Math.floor(sorted.length / 2)]! * 1000) / 1000 : NaN;
  };
  const done = (hops?.done ?? []).filter((h) => h.sent !== undefined);
  // The channel marks join the hand-placed ones, so HOP_MARKS prints one ordered timeline.
  for (const h of done) {
    const { handler, created, sent, upstreamHeaders, firstWrite } = h;
    const channels = Object.entries({ handler, created, sent, upstreamHeaders, firstWrite });
    const seen = channels.filter((c): c is [string, number] => c[1] !== undefined);
    h.marks = { ...h.marks, ...Object.fromEntries(seen) };
  }
  const labels = new Set(done.flatMap((h) => Object.keys(h.marks ?? {})));
  const marks = Object.fromEntries(
    [...labels].map((l) => [l, median(done.map((h) => (h.marks?.[l] ?? NaN) - h.start))]),
  );
  return {
    hops: {
      marks,
      n: done.length,
      requestPathMs: median(done.map((h) => h.sent! - h.start)),
      firstEventPathMs: median(done.map((h) => h.firstWrite! - h.upstreamHeaders!)),
      upstreamWaitMs: median(done.map((h) => h.upstreamHeaders! - h.sent!)),
      toHandlerMs: median(done.map((h) => (h.handler ?? NaN) - h.start)),
      toCreatedMs: median(done.map((h) => (h.created ?? NaN) - h.start)),
    },
  };
}

function answer(command: string): void {
  if (command === 'hops-start' || command === 'hops-read') {
    if (command === 'hops-start') startHops();
    const body = command === 'hops-read' ? readHops() : { ok: command };
    process.stderr.write(`@@probe ${JSON.stringify(body)}\n`);
    return;
  }
  if (command.startsWith('snapshot ')) {
    const file = writeHeapSnapshot(command.slice('snapshot '.length));
    process.stderr.write(`@@probe ${JSON.stringify({ snapshot: file })}\n`);
    return;
  }
  if (command === 'gc') fullGc();
  if (command.startsWith('profile-')) {
    void profile(command).then(
      (body) => process.stderr.write(`@@probe ${JSON.stringify(body)}\n`),
      (err: unknown) => process.stderr.write(`@@probe ${JSON.stringify({ error: String(err) })}\n`),
    );
    return;
  }
  if (command === 'reset') eld.reset();
  const body =
    command === 'read' || command === 'gc'
      ? {
          eld: {
            p50: ms(eld.percentile(50)),
            p99: ms(eld.percentile(99)),
            max: ms(eld.max),
            mean: ms(eld.mean),
          },
          mem: process.memoryUsage(),
          spaces: heapSpaces(),
        }
      : { ok: command };
  process.stderr.write(`@@probe ${JSON.stringify(body)}\n`);
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (data: string) => {
  pending += data;
  let nl = pending.indexOf('\n');
  while (nl !== -1) {
    answer(pending.slice(0, nl).trim());
    pending = pending.slice(nl + 1);
    nl = pending.indexOf('\n');
  }
});
// The probe must not keep a server alive on its own, nor stop one that has finished.
process.stdin.unref?.();
