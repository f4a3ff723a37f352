import { ConfigError, GatewayError } from '../errors/errors.js';

/** Where a command reads its environment and writes its output; injectable for tests. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
}

/** The real process streams and environment. */
export function processIo(): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * A failure as one plain line. Configuration and upstream errors were written for people; any
 * other error is unexpected, so its message is shown as-is without a stack trace.
 */
export function describeFailure(err: unknown): string {
  if (err instanceof ConfigError || err instanceof GatewayError) return err.message;
  if (err instanceof Error) return `unexpected error: ${err.message}`;
  return `unexpected error: ${String(err)}`;
}
