import type { FastifyError } from 'fastify';
import { GatewayError, InvalidRequestError } from '../errors/errors.js';

/**
 * Fastify raises its own errors while reading a request (body too large, bad Content-Length, ...).
 * Give each a message that says what to fix, in our error model; anything else passes through
 * unchanged. Bodies that are not JSON are answered by the app's own body parser (app.ts).
 */
export function fromFrameworkError(err: unknown, maxBodyBytes?: number): unknown {
  if (err instanceof GatewayError) return err;
  const e = err as Partial<FastifyError>;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = maxBodyBytes === undefined ? '' : ` of ${maxBodyBytes} bytes`;
      return new GatewayError(
        'payload_too_large',
        413,
        `request body is larger than the limit${limit} (server.max_body_bytes)`,
      );
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('invalid_request', 415, 'send the request body as application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new InvalidRequestError('Content-Length does not match the body');
    default:
      break;
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new GatewayError('invalid_request', e.statusCode, 'the request could not be read');
  }
  return err;
}
