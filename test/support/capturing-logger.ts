import { Writable } from 'node:stream';
import { createLogger } from '../../src/logging/logger.js';
import type { Logger } from '../../src/logging/logger.js';

export type LogLine = { level: number; msg: string; [k: string]: unknown };

/** A product logger that keeps every line as parsed JSON, to assert on what gets logged. */
export function capturingLogger(level = 'debug'): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text) lines.push(JSON.parse(text));
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines };
}
