import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, InvalidRequestError } from '../errors/errors.js';
import { toHttpError } from '../errors/http.js';
import type { Logger } from '../logging/logger.js';

/** A request Node's HTTP parser could not read, as one of our errors. */
function unreadable(err: NodeJS.ErrnoException, requestTimeoutMs: number): GatewayError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatewayError(
        'invalid_request',
        408,
        `the request did not arrive whole within ${requestTimeoutMs / 1000} s`,
      );
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError('invalid_request', 431, 'the request headers are too large');
    default:
      return new InvalidRequestError(
        `the request is not well-formed HTTP/1.1 (${err.code ?? 'parse error'})`,
      );
  }
}

/**
 * Answers what fastify answers before any route, hook or error handler runs (a request Node's
 * parser cannot read, a path that does not decode) in the same error envelope, with a request
 * id and a log line, instead of fastify's own shapes.
 */
export function frameworkErrorOptions(log: Logger, requestTimeoutMs: number) {
  return {
    frameworkErrors(error: Error, request: FastifyRequest, reply: FastifyReply) {
      const err =
        (error as { code?: string }).code === 'FST_ERR_BAD_URL'
          ? new InvalidRequestError('the request path is not valid percent-encoding')
          : new InvalidRequestError('the request could not be read');
      const http = toHttpError(err);
      log.info({ reqId: request.id, status: http.status }, http.body.error.message);
      void reply
        .code(http.status)
        .headers({ ...http.headers, 'x-request-id': request.id })
        .send(http.body);
    },
    clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket) {
      // A client that went away needs no answer.
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const http = toHttpError(unreadable(error, requestTimeoutMs));
      const body = JSON.stringify(http.body);
      const reqId = randomUUID();
      log.info({ reqId, status: http.status, code: error.code }, http.body.error.message);
      // Not in the middle of a response whose headers went out: nothing may follow those bytes.
      // A kept-alive connection whose earlier responses are complete is answered as usual.
      const current = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
      if (socket.writable && current?.headersSent !== true) {
        socket.write(
          `HTTP/1.1 ${http.status} ${STATUS_CODES[http.status] ?? ''}\r\n` +
            'content-type: application/json; charset=utf-8\r\n' +
            `content-length: ${Buffer.byteLength(body)}\r\n` +
            `x-request-id: ${reqId}\r\nconnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    },
  };
}
