import { pino } from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Every path that may carry a credential. Redaction happens here, once, so no call site has to
 * remember it; request lines are built from an allow-list of fields in the server anyway.
 */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.authorization',
  '*.client_secret',
  '*.clientSecret',
  '*.api_key',
  '*.apiKey',
  '*.password',
  '*.access_token',
  '*.token',
];

export interface LoggerSettings {
  level?: string;
  name?: string;
  destination?: DestinationStream;
}

/** Level: explicit setting, then LLAMAGATE_LOG_LEVEL, then `info`. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LLAMAGATE_LOG_LEVEL ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: settings.name ? { service: settings.name } : { pid: process.pid },
    timestamp: isoTimestamp(),
  };
  return pino(options, settings.destination ?? logDestination(1));
}

/**
 * pino's ISO-8601 `time` field, formatted once per millisecond instead of once per line: a busy
 * server writes several request lines in the same millisecond, and formatting a date was a
 * visible share of what a request line costs.
 */
function isoTimestamp(): () => string {
  let lastMs = -1;
  let field = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      field = `,"time":"${new Date(now).toISOString()}"`;
    }
    return field;
  };
}

/** Longest a written line waits before it is handed to the file or pipe. */
const FLUSH_EVERY_MS = 100;
/** Lines are handed to the writer in batches of about this many bytes. */
const BATCH_BYTES = 16 * 1024;

/**
 * Where the product's log lines go (a file descriptor or a file path): gathered into batches of
 * about 16 KiB, each written asynchronously, and handed over at least every 100 ms. A synchronous
 * write per request line was the largest cost the gateway added per request in benchmarks, and an
 * asynchronous write per line the next largest (each is a round trip through libuv's thread
 * pool). The lines are gathered here rather than by sonic-boom's own `minLength`, which appends
 * each line to one string and measures that string's length again, i.e. copies the whole pending
 * batch on every line. What is pending is still written when the process exits.
 */
export function logDestination(dest: number | string): DestinationStream {
  const stream = pino.destination({ dest, sync: false });
  const lines: string[] = [];
  let bytes = 0;
  let closed = false;
  const write = stream.write.bind(stream);
  const handOver = () => {
    if (lines.length === 0) return;
    // A writer that is closing (destroyed, its 'close' event not yet emitted) throws on new
    // data; thrown from the timer that would bring the process down, so what is left is dropped.
    if ((stream as { destroyed?: boolean }).destroyed) {
      lines.length = 0;
      bytes = 0;
      return;
    }
    const batch = lines.length === 1 ? lines[0]! : lines.join('');
    lines.length = 0;
    bytes = 0;
    write(batch);
  };
  stream.write = (data: string) => {
    // Once closed, nothing would hand gathered lines over: the writer answers for itself.
    if (closed) return write(data);
    lines.push(data);
    bytes += data.length;
    if (bytes >= BATCH_BYTES) handOver();
    return true;
  };
  // pino flushes through these (and calls flushSync when the process exits): pending lines first.
  const flush = stream.flush.bind(stream);
  stream.flush = (cb?: (err?: Error) => unknown) => {
    handOver();
    flush(cb);
  };
  const flushSync = stream.flushSync.bind(stream);
  stream.flushSync = () => {
    handOver();
    flushSync();
  };
  const end = stream.end.bind(stream);
  stream.end = () => {
    handOver();
    end();
  };
  const timer = setInterval(handOver, FLUSH_EVERY_MS).unref();
  stream.on('close', () => {
    closed = true;
    clearInterval(timer);
  });
  return stream;
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
