/** What went wrong on the wire when no HTTP answer arrived. */
export type TransportFailure =
  | { kind: 'timeout'; reason: string }
  | { kind: 'aborted'; reason: string }
  | { kind: 'unreachable'; reason: string };

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/**
 * Sorts an undici/Node transport error into timeout, abort or unreachable. `timedOut` is set by
 * callers whose own timer fired, because an AbortSignal looks the same whoever pulled it.
 */
export function classifyTransportError(err: unknown, timedOut = false): TransportFailure {
  const code = errorCode(err);
  const reason = code ?? (err instanceof Error ? err.message : String(err));
  if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code)) || isTimeoutAbort(err)) {
    return { kind: 'timeout', reason };
  }
  if (code === 'UND_ERR_ABORTED' || (err as Error | undefined)?.name === 'AbortError') {
    return { kind: 'aborted', reason };
  }
  return { kind: 'unreachable', reason };
}

/** Node puts the code on the error, on `cause`, or (happy eyeballs) on each of `errors`. */
function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (e?.cause !== undefined && e.cause !== err) {
    const inner = errorCode(e.cause);
    if (inner) return inner;
  }
  if (Array.isArray(e?.errors) && e.errors.length > 0) return errorCode(e.errors[0]);
  return undefined;
}

function isTimeoutAbort(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'TimeoutError';
}

/** A URL safe for messages and logs: no user info, no query string. */
export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Seconds for messages: "10 s", "0.5 s". */
export function secondsText(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
