/**
 * The one error model of llamagate. Every failure that can reach a client is a GatewayError with
 * a stable code and an HTTP status; `src/errors/http.ts` is the only place that turns it into a
 * response. Messages of exposed errors are written for the caller and say what to fix; `detail`
 * is for the log only and never leaves the process.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'not_found'
  | 'model_not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'conflict'
  | 'rate_limited'
  | 'not_implemented'
  | 'upstream_error'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'auth_unavailable'
  | 'overloaded'
  | 'internal';

export interface GatewayErrorOptions {
  /** Private context for the log; never sent to the client. */
  detail?: unknown;
  cause?: unknown;
  headers?: Record<string, string>;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, status: number, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }

  /** Internal errors keep their message private; everything else was written for the caller. */
  get expose(): boolean {
    return this.code !== 'internal';
  }
}

export class InvalidRequestError extends GatewayError {
  /** `param` names the offending field, as OpenAI's envelope does. */
  readonly param: string | undefined;
  constructor(message: string, param?: string, options?: GatewayErrorOptions) {
    super('invalid_request', 400, message, options);
    this.param = param;
  }
}

export class NotFoundError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('not_found', 404, message, options);
  }
}

export class ModelNotFoundError extends GatewayError {
  readonly model: string;
  constructor(model: string, hint?: string, options?: GatewayErrorOptions) {
    const base = `Model '${model}' not found. Use GET /v1/models to list available models.`;
    super('model_not_found', 404, hint ? `${base} ${hint}` : base, options);
    this.model = model;
  }
}

export class AuthenticationError extends GatewayError {
  /** RFC 6750 error code for WWW-Authenticate; `undefined` when no credentials were sent. */
  readonly bearerError: 'invalid_token' | 'invalid_request' | undefined;
  constructor(
    message: string,
    bearerError: 'invalid_token' | 'invalid_request' | undefined = 'invalid_token',
    options?: GatewayErrorOptions,
  ) {
    super('unauthorized', 401, message, options);
    this.bearerError = bearerError;
  }
}

export class PermissionDeniedError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('forbidden', 403, message, options);
  }
}

export class ConflictError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('conflict', 409, message, options);
  }
}

export class RateLimitError extends GatewayError {
  constructor(message: string, retryAfterSeconds: number, options?: GatewayErrorOptions) {
    const retry = String(Math.max(1, Math.ceil(retryAfterSeconds)));
    super('rate_limited', 429, message, {
      ...options,
      headers: { ...options?.headers, 'retry-after': retry },
    });
  }
}

export class NotImplementedError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('not_implemented', 501, message, options);
  }
}

/** The upstream answered, but with an error we pass on (status 502 unless told otherwise). */
export class UpstreamError extends GatewayError {
  constructor(message: string, status = 502, options?: GatewayErrorOptions) {
    super(status === 429 ? 'rate_limited' : 'upstream_error', status, message, options);
  }
}

/** The upstream could not be reached at all (connection refused, DNS, reset before answer). */
export class UpstreamUnavailableError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('upstream_unavailable', 503, message, options);
  }
}

export class UpstreamTimeoutError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('upstream_timeout', 504, message, options);
  }
}

/** The identity provider's keys or endpoints cannot be reached: 503, never 401. */
export class AuthServiceUnavailableError extends GatewayError {
  constructor(message = 'authentication service unavailable', options?: GatewayErrorOptions) {
    super('auth_unavailable', 503, message, {
      ...options,
      headers: { 'retry-after': '5', ...options?.headers },
    });
  }
}

/** Local capacity is exhausted (a full queue); the caller may retry later. */
export class OverloadedError extends GatewayError {
  constructor(message: string, options?: GatewayErrorOptions) {
    super('overloaded', 503, message, {
      ...options,
      headers: { 'retry-after': '1', ...options?.headers },
    });
  }
}

export class InternalError extends GatewayError {
  constructor(detail: unknown) {
    super('internal', 500, 'internal server error', { detail });
  }
}

/**
 * A start-up problem (bad run.yaml, missing model file, ...). Never reaches HTTP: the CLI prints
 * the message and exits non-zero. The message names the file, the key path and the fix.
 */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** Wraps anything thrown into a GatewayError; unknown errors become an opaque 500. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new InternalError(err);
}
