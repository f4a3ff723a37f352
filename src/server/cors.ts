import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CorsConfig } from '../config/schema.js';

/** `cors: true` is Llama Stack's development mode: any localhost origin. */
const DEV_CORS: CorsConfig = {
  allow_origins: [],
  allow_origin_regex: '^https?://localhost:\\d+$',
  allow_methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
  allow_headers: ['Content-Type', 'Authorization', 'X-Requested-With'],
  allow_credentials: false,
  expose_headers: [],
  max_age: 600,
};

function originAllowed(cors: CorsConfig, regex: RegExp | undefined, origin: string): boolean {
  return (
    cors.allow_origins.includes('*') || cors.allow_origins.includes(origin) || !!regex?.test(origin)
  );
}

/**
 * Answers preflights before authentication (a browser never sends credentials on them) and adds
 * CORS headers to allowed origins. Runs as the first onRequest hook.
 */
export function installCors(app: FastifyInstance, setting: true | CorsConfig): void {
  const cors = setting === true ? DEV_CORS : setting;
  const regex = cors.allow_origin_regex ? new RegExp(cors.allow_origin_regex) : undefined;

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (!origin || !originAllowed(cors, regex, origin)) return;

    reply.header('access-control-allow-origin', cors.allow_origins.includes('*') ? '*' : origin);
    reply.header('vary', 'Origin');
    if (cors.allow_credentials) reply.header('access-control-allow-credentials', 'true');
    if (cors.expose_headers.length > 0)
      reply.header('access-control-expose-headers', cors.expose_headers.join(', '));

    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      reply.header('access-control-allow-methods', cors.allow_methods.join(', '));
      reply.header('access-control-allow-headers', cors.allow_headers.join(', '));
      reply.header('access-control-max-age', String(cors.max_age));
      await reply.status(204).send();
    }
  });
}
