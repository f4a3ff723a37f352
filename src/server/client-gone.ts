import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerMetrics } from './metrics.js';
import { logRequest } from './request-log.js';

/** Per connection: what to run for each request still unanswered when the connection closes. */
const pending = new WeakMap<Socket, Set<() => void>>();

function onSocketClose(socket: Socket, fn: () => void): () => void {
  let set = pending.get(socket);
  if (!set) {
    const created = new Set<() => void>();
    pending.set(socket, created);
    socket.once('close', () => {
      for (const run of [...created]) run();
    });
    set = created;
  }
  set.add(fn);
  return () => set.delete(fn);
}

/**
 * Gives the request an abort signal that fires when its client is gone before the answer was
 * complete, and writes the request's log line at that moment (a gone client never lets the
 * response finish, so the onResponse hook would not run). The response's own `close` covers a
 * client that leaves while being answered; a pipelined request queued behind another on the same
 * connection has a response not yet attached to the socket, which never emits `close`, so the
 * connection's `close` counts too.
 */
export function watchClient(
  request: FastifyRequest,
  reply: FastifyReply,
  metrics: ServerMetrics,
): void {
  const controller = new AbortController();
  request.abortSignal = controller.signal;
  request.streamAborted = false;
  const res = reply.raw;
  let forget: (() => void) | undefined;
  const gone = () => {
    forget?.();
    if (res.writableFinished || request.streamAborted) return;
    request.streamAborted = true;
    controller.abort();
    logRequest(request, reply, metrics);
  };
  res.once('close', gone);
  const socket = request.raw.socket;
  if (socket) {
    forget = onSocketClose(socket, gone);
    res.once('finish', forget);
  }
}
