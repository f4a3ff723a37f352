/**
 * The floor for a Node hop: a pass-through HTTP/1.1 proxy (node:http in, undici Pool out) that
 * forwards method, path, headers and body and streams the answer back chunk by chunk, with no
 * parsing. Usage: bare-proxy <upstream-origin>; prints {"port":N}.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

const pool = new Pool(process.argv[2]!, { connections: 4096, pipelining: 1 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

const server = createServer(async (req, res) => {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = String(v);
  try {
    const up = await pool.request({
      method: req.method as 'POST',
      path: req.url!,
      headers,
      body: req,
    });
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k)) out[k] = String(v);
    res.writeHead(up.statusCode, out);
    await pipeline(up.body, res);
  } catch {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
