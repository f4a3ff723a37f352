import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../errors/errors.js';
import type { HealthStatus, InferenceProvider } from '../../inference/types.js';
import type { ServerDeps } from '../deps.js';

const HEALTH_TIMEOUT_MS = 1000;

async function probe(provider: InferenceProvider): Promise<HealthStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HealthStatus>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 'Error', message: 'Health check timed out after 1 seconds' }),
      HEALTH_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([
      provider.health().catch((err: unknown) => ({
        status: 'Error' as const,
        message: `Health check failed: ${err instanceof Error ? err.message : String(err)}`,
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function providerBody(p: InferenceProvider) {
  return {
    api: 'inference',
    provider_id: p.id,
    provider_type: p.type,
    config: p.publicConfig(),
    health: await probe(p),
  };
}

/**
 * Router syntax to Llama Stack's OpenAPI syntax, which clients show and match on:
 * `/v1/providers/:provider_id` → `/v1/providers/{provider_id}`, and the catch-all of model ids
 * (which contain slashes) `/v1/models/*` → `/v1/models/{model_id:path}`.
 */
function llamaStackPath(route: string): string {
  return route
    .replace(/:([A-Za-z_]+)/g, '{$1}')
    .replace(/^\/v1\/models\/\*$/, '/v1/models/{model_id:path}');
}

export interface RouteInfo {
  route: string;
  method: string;
}

/** Health, version, providers and the route inventory. */
export function registerMetaRoutes(
  app: FastifyInstance,
  deps: ServerDeps,
  routes: RouteInfo[],
): void {
  app.get('/v1/health', async () => ({ status: 'OK' }));

  app.get('/v1/version', async () => ({
    version: deps.versions.api,
    llamagate_version: deps.versions.llamagate,
  }));

  app.get('/v1/providers', async () => ({
    data: await Promise.all([...deps.providers.values()].map(providerBody)),
  }));

  app.get('/v1/providers/:provider_id', async (request) => {
    const { provider_id: id } = request.params as { provider_id: string };
    const provider = deps.providers.get(id);
    if (!provider) throw new NotFoundError(`Provider ${id} not found`);
    return providerBody(provider);
  });

  app.get('/v1/inspect/routes', async () => {
    const types = [...new Set([...deps.providers.values()].map((p) => p.type))];
    return {
      data: routes.map((r) => ({
        route: llamaStackPath(r.route),
        method: r.method,
        provider_types: /\/(inference|chat|completions|embeddings|models)/.test(r.route)
          ? types
          : [],
      })),
    };
  });
}
