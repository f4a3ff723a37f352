import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { JWK } from 'jose';

/** How the stand-in IdP answers key-set requests. */
export type JwksMode = 'ok' | 'down' | 'slow' | 'error500' | 'redirect' | 'not-json';

/**
 * A JWKS endpoint on 127.0.0.1 for tests: serves, swaps and counts, and can misbehave the way
 * real IdPs do (connection drops, hangs, 500s, redirects, garbage).
 */
export interface JwksServer {
  /** URL of the key set (`/realms/lls-auth/protocol/openid-connect/certs`). */
  readonly uri: string;
  readonly origin: string;
  /** Key-set GETs received so far (all modes). */
  readonly fetches: number;
  /** Headers of the latest key-set request. */
  readonly lastHeaders: IncomingHttpHeaders | undefined;
  /** Any request at all, to any path (for "never contacted" assertions). */
  readonly requests: number;
  setKeys(keys: JWK[]): void;
  setMode(mode: JwksMode, slowMs?: number): void;
  close(): Promise<void>;
}

export const JWKS_PATH = '/realms/lls-auth/protocol/openid-connect/certs';

/** `tls` serves HTTPS with the given PEM key and certificate instead of plain HTTP. */
export async function startJwksServer(
  initialKeys: JWK[] = [],
  tls?: { key: string; cert: string },
): Promise<JwksServer> {
  let keys = initialKeys;
  let mode: JwksMode = 'ok';
  let slowMs = 10_000;
  let fetches = 0;
  let requests = 0;
  let lastHeaders: IncomingHttpHeaders | undefined;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    requests++;
    if (req.url !== JWKS_PATH) {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    lastHeaders = req.headers;
    switch (mode) {
      case 'down':
        req.socket.destroy();
        return;
      case 'slow': {
        const timer = setTimeout(() => res.end(JSON.stringify({ keys })), slowMs);
        timers.add(timer);
        return;
      }
      case 'error500':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
        return;
      case 'redirect':
        res.writeHead(302, { location: `http://127.0.0.1:1${JWKS_PATH}` }).end();
        return;
      case 'not-json':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
        return;
      default:
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    }
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    uri: `${origin}${JWKS_PATH}`,
    origin,
    get fetches() {
      return fetches;
    },
    get requests() {
      return requests;
    },
    get lastHeaders() {
      return lastHeaders;
    },
    setKeys(next) {
      keys = next;
    },
    setMode(next, ms) {
      mode = next;
      if (ms !== undefined) slowMs = ms;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
