import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Usage } from '../inference/types.js';

/** Prometheus metrics of one stack server (a registry per app, so tests can run several). */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'llamagate_http_requests_total',
    help: 'HTTP requests answered, by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'llamagate_http_request_duration_seconds',
    help: 'Time from request to the end of the response (whole stream for streaming answers)',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 120],
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: 'llamagate_tokens_total',
    help: 'Tokens processed by the inference providers, by model and kind',
    labelNames: ['model', 'kind'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'llamagate_' });
  }

  observeResponse(request: FastifyRequest, status: number, elapsedMs: number): void {
    // The route template, never the raw path: raw paths would make label cardinality unbounded.
    const route = request.routeOptions.url ?? 'unmatched';
    this.requests.inc({ method: request.method, route, status: String(status) });
    this.duration.observe({ method: request.method, route }, elapsedMs / 1000);
  }

  countTokens(model: string, usage: Usage): void {
    if (usage.promptTokens > 0) this.tokens.inc({ model, kind: 'prompt' }, usage.promptTokens);
    if (usage.completionTokens > 0)
      this.tokens.inc({ model, kind: 'completion' }, usage.completionTokens);
  }
}

/** `GET /metrics` in Prometheus text format; it needs a token unless listed in public_routes. */
export function registerMetricsRoute(app: FastifyInstance, metrics: ServerMetrics): void {
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
