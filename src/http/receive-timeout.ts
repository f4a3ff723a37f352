/**
 * How long a client may take to send its whole request, as fastify options. fastify turns Node's
 * own limit off by default, so a client trickling its headers or body a byte at a time would hold
 * a connection for ever. The headers get the same limit (Node applies the smaller of its two
 * limits to the headers and the larger to the whole request). Node checks open requests
 * periodically (`connectionsCheckingInterval`); checking four times per limit keeps the cut
 * within a quarter of it. The `server` ones are options of the Node server, which fastify takes
 * under `http`, or inside its `https` options.
 */
export function receiveTimeout(timeoutMs: number): {
  requestTimeout: number;
  server: { requestTimeout: number; headersTimeout: number; connectionsCheckingInterval: number };
} {
  const interval = Math.min(30_000, Math.max(50, Math.round(timeoutMs / 4)));
  return {
    requestTimeout: timeoutMs,
    // Node checks headersTimeout <= requestTimeout when the server is created, before fastify
    // sets its own value: both go in at creation.
    server: {
      requestTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      connectionsCheckingInterval: interval,
    },
  };
}
