import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ConflictError,
  InvalidRequestError,
  ModelNotFoundError,
  PermissionDeniedError,
} from '../../errors/errors.js';
import { modelIdentifier } from '../../inference/registry.js';
import type { ModelRecord } from '../../inference/registry.js';
import { parseBody } from '../../translate/validate.js';
import type { ServerDeps } from '../deps.js';

/**
 * One object per model carrying both Llama Stack's `Model` fields and OpenAI's model fields, so
 * 0.2.x clients (identifier, provider_id, ...) and OpenAI-style clients (id, object, ...) both
 * parse the same answer.
 */
export function modelBody(m: ModelRecord) {
  return {
    identifier: m.identifier,
    provider_resource_id: m.providerResourceId,
    provider_id: m.providerId,
    type: 'model',
    metadata: m.metadata,
    model_type: m.modelType,
    id: m.identifier,
    object: 'model',
    created: m.created,
    owned_by: m.providerId,
    custom_metadata: {
      model_type: m.modelType,
      provider_id: m.providerId,
      provider_resource_id: m.providerResourceId,
      ...m.metadata,
    },
  };
}

const registerSchema = z.object({
  model_id: z.string().min(1),
  provider_model_id: z.string().min(1).nullish(),
  provider_id: z.string().min(1).nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  model_type: z.enum(['llm', 'embedding']).default('llm'),
});

function visible(deps: ServerDeps, request: FastifyRequest): ModelRecord[] {
  return deps.registry.list().filter((m) =>
    deps.policy.isAllowed(request.principal, 'read', {
      type: 'model',
      id: m.identifier,
      owner: m.owner,
    }),
  );
}

function pickProvider(deps: ServerDeps, requested: string | null | undefined): string {
  if (requested) {
    if (!deps.providers.has(requested)) {
      const known = [...deps.providers.keys()].join(', ');
      throw new InvalidRequestError(
        `Provider ${requested} not found; configured providers: ${known}`,
        'provider_id',
      );
    }
    return requested;
  }
  if (deps.providers.size === 1) return [...deps.providers.keys()][0] as string;
  throw new InvalidRequestError(
    'provider_id is required when several providers are configured',
    'provider_id',
  );
}

export function registerModelRoutes(app: FastifyInstance, deps: ServerDeps): void {
  app.get('/v1/models', async (request) => ({
    object: 'list',
    data: visible(deps, request).map(modelBody),
  }));

  app.get('/v1/openai/v1/models', async (request) => ({
    object: 'list',
    data: visible(deps, request).map((m) => ({
      id: m.identifier,
      object: 'model',
      created: m.created,
      owned_by: m.providerId,
    })),
  }));

  // `*` because identifiers contain slashes (`ollama/llama3.2:3b`).
  app.get('/v1/models/*', async (request) => {
    const name = (request.params as { '*': string })['*'];
    const record = deps.registry.resolve(name);
    const resource = { type: 'model' as const, id: record.identifier, owner: record.owner };
    if (!deps.policy.isAllowed(request.principal, 'read', resource))
      throw new ModelNotFoundError(name);
    return modelBody(record);
  });

  app.post('/v1/models', async (request) => {
    const body = parseBody(registerSchema, request.body);
    const providerId = pickProvider(deps, body.provider_id);
    const providerModelId = body.provider_model_id ?? body.model_id;
    const identifier = modelIdentifier(body.model_id, providerId, providerModelId);
    if (!deps.policy.isAllowed(request.principal, 'create', { type: 'model', id: identifier })) {
      throw new PermissionDeniedError(`you may not register model '${identifier}'`);
    }

    const existing = deps.registry.list().find((m) => m.identifier === identifier);
    if (existing && existing.providerId !== providerId) {
      throw new ConflictError(
        `model '${identifier}' is already registered with provider ${existing.providerId}`,
      );
    }
    // Registering over an existing identifier replaces that model, so it is an update judged
    // against its owner, and the owner stays: otherwise anyone allowed to create could take
    // over, re-point or hide a model another user registered or run.yaml configured.
    const current = { type: 'model' as const, id: identifier, owner: existing?.owner };
    if (existing && !deps.policy.isAllowed(request.principal, 'update', current)) {
      throw new ConflictError(
        `model '${identifier}' is already registered; register yours under another model_id`,
      );
    }
    if (body.model_type === 'embedding' && typeof body.metadata?.embedding_dimension !== 'number') {
      throw new InvalidRequestError(
        'embedding models need metadata.embedding_dimension (a number)',
        'metadata',
      );
    }
    await deps.providers.get(providerId)?.checkModel(providerModelId, body.model_type);

    const record: ModelRecord = {
      identifier,
      providerResourceId: providerModelId,
      providerId,
      modelType: body.model_type,
      metadata: body.metadata ?? {},
      source: 'via_register_api',
      created: Math.floor(Date.now() / 1000),
    };
    const owner = existing ? existing.owner : request.principal;
    if (owner) record.owner = owner;
    deps.registry.add(record);
    return modelBody(record);
  });

  app.delete('/v1/models/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'];
    const record = deps.registry.resolve(name);
    const resource = { type: 'model' as const, id: record.identifier, owner: record.owner };
    if (!deps.policy.isAllowed(request.principal, 'read', resource))
      throw new ModelNotFoundError(name);
    if (!deps.policy.isAllowed(request.principal, 'delete', resource)) {
      throw new PermissionDeniedError(`you may not delete model '${record.identifier}'`);
    }
    deps.registry.remove(record.identifier);
    return reply.status(204).send();
  });
}
