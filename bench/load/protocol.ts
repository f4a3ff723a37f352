/** Commands and answers exchanged between the orchestrator and the load client. */
import type { Summary } from '../lib/stats.js';

/** Where and what to send: every arm gets the same body; headers differ only in routing/auth. */
export interface Target {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** One bearer token per virtual user (index = worker number mod length). */
  tokens?: string[];
}

export interface ClosedCommand {
  cmd: 'closed';
  target: Target;
  concurrency: number;
  warmup: number;
  requests?: number;
  durationMs?: number;
}

export interface StreamCommand {
  cmd: 'stream';
  target: Target;
  concurrency: number;
  streams: number;
  expectTokens: number;
}

export interface HoldCommand {
  cmd: 'hold';
  target: Target;
  count: number;
  timeoutMs: number;
}

export type Command = ClosedCommand | StreamCommand | HoldCommand | { cmd: 'release' };

export interface ClosedResult {
  count: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  rps: number;
  /** Milliseconds. */
  latency: Summary;
}

export interface StreamResult {
  streams: number;
  errors: number;
  firstError?: string;
  /** Milliseconds from request start to the first event carrying content. */
  ttft: Summary;
  /** Milliseconds between consecutive content events of a stream. */
  gap: Summary;
  total: Summary;
  /** Content events received, summed over streams, and how many were expected. */
  contentEvents: number;
  expectedEvents: number;
  /** Content events that arrived in the same read as the previous one (merged). */
  coalesced: number;
}

export interface HoldResult {
  open: number;
  withFirstToken: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
}
