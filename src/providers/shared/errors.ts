import {
  GatewayError,
  InvalidRequestError,
  ModelNotFoundError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../errors/errors.js';

/**
 * How error messages name an upstream and tell the operator what to do about it. Callers see the
 * upstream's product name only; its address and the operator's fix go to `detail`, which is
 * logged and never sent (the address of an internal model server is not the caller's business).
 */
export interface UpstreamLabel {
  /** Product name, e.g. `Ollama`. */
  name: string;
  /** Base URL as configured (never carries secrets). */
  url: string;
  /** Appended when the upstream cannot be reached, e.g. "Start it with 'ollama serve'". */
  unreachableHint: string;
  /** Appended to 404 model errors, given the model id. */
  missingModelHint(model: string): string;
}

const CONNECT_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_SOCKET: 'connection closed by the upstream',
  UND_ERR_CLOSED: 'connection closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
};

/** The errno-style code of a network error, looking through AggregateError and `cause`. */
export function networkErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code in CONNECT_CODES) return code;
    const inner = (current as { errors?: unknown[] }).errors?.[0];
    current = inner ?? (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for the errors undici raises when a request was cancelled through its signal. */
export function isAbortError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { name, code } = err as { name?: unknown; code?: unknown };
  return name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR';
}

/** Maps a failure that happened before any response arrived (connect, send, first byte). */
export function mapRequestError(
  err: unknown,
  label: UpstreamLabel,
  firstByteTimeoutMs: number,
): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return firstByteTimeoutError(label, firstByteTimeoutMs, err);
  }
  const netCode = networkErrorCode(err);
  const reason = netCode ? CONNECT_CODES[netCode] : errorText(err);
  return new UpstreamUnavailableError(
    `${label.name} is not reachable (${reason}); try again later.`,
    {
      cause: err,
      detail: { url: label.url, reason, fix: label.unreachableHint },
    },
  );
}

/** Maps a failure while the answer was streaming (connection dropped, reset, body error). */
export function mapStreamError(err: unknown, label: UpstreamLabel): GatewayError {
  if (err instanceof GatewayError) return err;
  const netCode = networkErrorCode(err);
  const reason = netCode ? CONNECT_CODES[netCode] : errorText(err);
  return new UpstreamError(`${label.name} stopped in the middle of the answer (${reason}).`, 502, {
    cause: err,
    detail: { url: label.url },
  });
}

/** The error for an idle gap between chunks longer than the configured idle timeout. */
export function idleTimeoutError(label: UpstreamLabel, idleMs: number): UpstreamTimeoutError {
  return new UpstreamTimeoutError(
    `${label.name} sent nothing for ${idleMs / 1000} s in the middle of the answer.`,
    {
      detail: {
        url: label.url,
        fix: "raise idle_timeout in this provider's config in run.yaml if the model is that slow",
      },
    },
  );
}

/** The error for a first body byte that never came (headers arrived, then silence). */
export function firstByteTimeoutError(
  label: UpstreamLabel,
  ms: number,
  cause?: unknown,
): UpstreamTimeoutError {
  return new UpstreamTimeoutError(
    `${label.name} sent no output within ${ms / 1000} s; the model may still be loading.`,
    {
      cause,
      detail: {
        url: label.url,
        fix:
          "raise first_byte_timeout in this provider's config in run.yaml " +
          'if cold loads take longer',
      },
    },
  );
}

/**
 * Maps an HTTP error status from the upstream. The upstream's own message is kept: it is what
 * tells the caller what went wrong (unknown option, bad schema, queue full...).
 */
export function mapStatusError(
  status: number,
  upstreamMessage: string,
  label: UpstreamLabel,
  model: string | undefined,
): GatewayError {
  const detail = { upstreamStatus: status, upstreamMessage };
  const quoted = upstreamMessage || `HTTP ${status}`;
  // Upstreams word a missing model with "model"; any other 404 means the URL is not that API.
  if (status === 404 && model !== undefined && /model/i.test(upstreamMessage)) {
    return new ModelNotFoundError(model, label.missingModelHint(model), { detail });
  }
  if (status === 404) {
    return new UpstreamError(`${label.name} has no such endpoint (HTTP 404).`, 502, {
      detail: { ...detail, url: label.url, fix: `check that url points at ${label.name}` },
    });
  }
  if (status === 400 || status === 422) {
    return new InvalidRequestError(`${label.name} rejected the request: ${quoted}`, undefined, {
      detail,
    });
  }
  if (status === 429) {
    return new UpstreamError(`${label.name} is rate limiting requests: ${quoted}`, 429, {
      detail,
      headers: { 'retry-after': '1' },
    });
  }
  if (status === 503) {
    return new UpstreamUnavailableError(`${label.name} is busy: ${quoted}`, { detail });
  }
  if (status === 401 || status === 403) {
    return new UpstreamError(
      `${label.name} refused the gateway's credentials (HTTP ${status}).`,
      502,
      {
        detail: { ...detail, url: label.url, fix: "check api_key in this provider's config" },
      },
    );
  }
  return new UpstreamError(`${label.name} failed (HTTP ${status}): ${quoted}`, 502, { detail });
}

/**
 * Pulls the human message out of an error body: Ollama's `{"error":"..."}`, OpenAI's
 * `{"error":{"message":"..."}}`, FastAPI's `{"detail":...}`, or plain text.
 */
export function upstreamErrorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const error = parsed.error;
    if (typeof error === 'string') return error;
    if (error && typeof error === 'object') {
      const message = (error as { message?: unknown }).message;
      if (typeof message === 'string') return message;
    }
    if (typeof parsed.message === 'string') return parsed.message;
    if (parsed.detail !== undefined) {
      return typeof parsed.detail === 'string' ? parsed.detail : JSON.stringify(parsed.detail);
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.trim().slice(0, 500);
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
