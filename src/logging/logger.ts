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
  // Asynchronous stdout: a synchronous write per request line was the largest cost the gateway
  // added per request in benchmarks. sonic-boom still flushes what is buffered when the process
  // exits.
  const destination = settings.destination ?? pino.destination({ dest: 1, sync: false });
  return pino(options, destination);
}

/** A logger that drops everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
