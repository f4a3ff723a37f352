import { z } from 'zod';

/** Defaults for every HTTP upstream, in seconds unless named otherwise. */
export const DEFAULT_FIRST_BYTE_TIMEOUT_S = 300;
export const DEFAULT_IDLE_TIMEOUT_S = 120;
export const DEFAULT_CONNECT_TIMEOUT_S = 10;
export const DEFAULT_MAX_CONNECTIONS = 64;

const seconds = (fallback: number) => z.number().positive().default(fallback);

/**
 * Knobs shared by every HTTP upstream. A cold model load blocks before the first byte, so the
 * first-byte timeout is long; the idle timeout only starts once output flows.
 */
export const upstreamTimeoutsShape = {
  first_byte_timeout: seconds(DEFAULT_FIRST_BYTE_TIMEOUT_S),
  idle_timeout: seconds(DEFAULT_IDLE_TIMEOUT_S),
  connect_timeout: seconds(DEFAULT_CONNECT_TIMEOUT_S),
  max_connections: z.number().int().positive().default(DEFAULT_MAX_CONNECTIONS),
};

/** Timeouts in milliseconds, as the HTTP helpers take them. */
export interface UpstreamTimeouts {
  firstByteMs: number;
  idleMs: number;
  connectMs: number;
}

/** Converts the seconds of a validated config into the milliseconds the helpers use. */
export function timeoutsFromConfig(config: {
  first_byte_timeout: number;
  idle_timeout: number;
  connect_timeout: number;
}): UpstreamTimeouts {
  return {
    firstByteMs: Math.round(config.first_byte_timeout * 1000),
    idleMs: Math.round(config.idle_timeout * 1000),
    connectMs: Math.round(config.connect_timeout * 1000),
  };
}

/** Accepts only absolute http(s) URLs; a clear message beats a connect error later. */
export const httpUrlSchema = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an absolute http:// or https:// URL, e.g. http://localhost:11434' },
);

/**
 * Splits a base URL into the origin the pool connects to and a path prefix without a trailing
 * slash.
 */
export function splitBaseUrl(base: string): { origin: string; prefix: string } {
  const url = new URL(base);
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
}
