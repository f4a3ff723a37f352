import { AuthenticationError, InvalidRequestError, toGatewayError } from './errors.js';
import type { GatewayError } from './errors.js';

export interface HttpErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: { message: string; type: string; code: string; param: string | null } };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  429: 'rate_limit_error',
};

/** RFC 6750 §3: quoted-string values must escape backslash and double quote. */
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function bearerChallenge(err: AuthenticationError): string {
  if (err.bearerError === undefined) return 'Bearer realm="llamagate"';
  return (
    `Bearer realm="llamagate", error=${quote(err.bearerError)}, ` +
    `error_description=${quote(err.message)}`
  );
}

/**
 * The single serialiser from errors to HTTP. The body is OpenAI's error envelope, which both
 * openai-node and llama-stack-client (0.6+) parse; internal errors go out as a generic message.
 */
export function toHttpError(thrown: unknown): HttpErrorResponse {
  const err: GatewayError = toGatewayError(thrown);
  const headers: Record<string, string> = { ...err.headers };
  if (err instanceof AuthenticationError) headers['www-authenticate'] = bearerChallenge(err);

  const param = err instanceof InvalidRequestError ? (err.param ?? null) : null;
  const type =
    TYPE_BY_STATUS[err.status] ?? (err.status >= 500 ? 'api_error' : 'invalid_request_error');
  return {
    status: err.status,
    headers,
    body: {
      error: {
        message: err.expose ? err.message : 'internal server error',
        type,
        code: err.code,
        param,
      },
    },
  };
}
