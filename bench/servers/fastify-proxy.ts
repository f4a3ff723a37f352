/**
 * The floor for a framework hop: fastify in (routing, request and reply objects, its JSON body
 * parser), undici Pool out, the upstream answer streamed back chunk by chunk. No auth, no
 * validation, no translation: what any gateway built on fastify pays before its own work.
 * Usage: fastify-proxy <upstream-origin>; prints {"port":N}.
 */
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const pool = new Pool(process.argv[2]!, { connections: 4096, pipelining: 1 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
app.post('/v1/chat/completions', async (request, reply) => {
  const up = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request.body),
  });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(up.headers)) if (!HOP.has(k)) out[k] = String(v);
  return reply.code(up.statusCode).headers(out).send(up.body);
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`);
