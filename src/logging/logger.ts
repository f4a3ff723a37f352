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
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, settings.destination ?? logDestination(1));
}

/** Longest a written line waits in the buffer before it reaches the file or pipe. */
const FLUSH_EVERY_MS = 100;

/**
 * Where the product's log lines go (a file descriptor or a file path): written asynchronously in
 * batches of up to 4 KiB, and flushed at least every 100 ms. A synchronous write per request line
 * was the largest cost the gateway added per request in benchmarks, and an asynchronous write per
 * line the next largest (each is a round trip through libuv's thread pool). What is buffered is
 * still written when the process exits.
 */
export function logDestination(dest: number | string): DestinationStream {
  const stream = pino.destination({ dest, sync: false, minLength: 4096 });
  let pending = false;
  let closed = false;
  const write = stream.write.bind(stream);
  stream.write = (data: string) => {
    pending = true;
    return write(data);
  };
  const timer = setInterval(() => {
    if (!pending || closed) return;
    pending = false;
    stream.flush();
  }, FLUSH_EVERY_MS).unref();
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
