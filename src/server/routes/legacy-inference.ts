import type { FastifyInstance } from 'fastify';
import {
  parseLegacyChat,
  parseLegacyCompletion,
  parseLegacyEmbeddings,
} from '../../translate/legacy-request.js';
import {
  legacyChatBody,
  legacyChatEncoder,
  legacyCompletionBody,
  legacyCompletionEncoder,
} from '../../translate/legacy-response.js';
import type { ServerDeps } from '../deps.js';
import { callContext, chargeUsage, checkTokenBudget, resolveModel } from '../models-access.js';
import { serveGeneration } from '../generation.js';

/**
 * Llama Stack 0.2.x inference routes, the ones the tutorial calls. Unlike 0.2.x, errors found
 * before a stream starts are plain HTTP errors, not an HTTP 200 stream holding an error event.
 */
export function registerLegacyInferenceRoutes(app: FastifyInstance, deps: ServerDeps): void {
  app.post('/v1/inference/chat-completion', async (request, reply) => {
    const { body, request: chat } = parseLegacyChat(request.body);
    return serveGeneration(deps, request, reply, {
      model: body.model_id,
      stream: chat.stream,
      start: (provider, model, ctx) => provider.chat({ ...chat, model }, ctx),
      body: legacyChatBody,
      encoder: legacyChatEncoder,
      doneSentinel: false,
    });
  });

  app.post('/v1/inference/completion', async (request, reply) => {
    const { body, request: completion } = parseLegacyCompletion(request.body);
    return serveGeneration(deps, request, reply, {
      model: body.model_id,
      stream: completion.stream,
      start: (provider, model, ctx) => provider.complete({ ...completion, model }, ctx),
      body: legacyCompletionBody,
      encoder: legacyCompletionEncoder,
      doneSentinel: false,
    });
  });

  app.post('/v1/inference/embeddings', async (request) => {
    const { body, input } = parseLegacyEmbeddings(request.body);
    const { record, provider } = resolveModel(deps, request, body.model_id, 'embedding');
    await checkTokenBudget(deps, request);

    const result = await provider.embed(
      {
        model: record.providerResourceId,
        input,
        truncate: body.text_truncation !== 'none',
        ...(body.output_dimension ? { dimensions: body.output_dimension } : {}),
      },
      callContext(request),
    );
    chargeUsage(
      deps,
      request,
      record.identifier,
    )({ promptTokens: result.promptTokens, completionTokens: 0 });
    return { embeddings: result.embeddings };
  });
}
