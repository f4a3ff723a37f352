import type { FastifyInstance } from 'fastify';
import { collect } from '../../translate/collect.js';
import {
  parseLegacyChat,
  parseLegacyCompletion,
  parseLegacyEmbeddings,
} from '../../translate/legacy-request.js';
import {
  legacyChatBody,
  legacyChatChunks,
  legacyCompletionBody,
  legacyCompletionChunks,
} from '../../translate/legacy-response.js';
import type { ServerDeps } from '../deps.js';
import {
  callContext,
  chargeUnfinished,
  chargeUsage,
  checkTokenBudget,
  resolveModel,
} from '../models-access.js';
import { sendSse } from '../sse.js';

/**
 * Llama Stack 0.2.x inference routes, the ones the tutorial calls. Unlike 0.2.x, errors found
 * before a stream starts are plain HTTP errors, not an HTTP 200 stream holding an error event.
 */
export function registerLegacyInferenceRoutes(app: FastifyInstance, deps: ServerDeps): void {
  app.post('/v1/inference/chat-completion', async (request, reply) => {
    const { body, request: chat } = parseLegacyChat(request.body);
    const { record, provider } = resolveModel(deps, request, body.model_id, 'llm');
    await checkTokenBudget(deps, request);
    chat.model = record.providerResourceId;

    const events = await provider.chat(chat, callContext(request));
    const onUsage = chargeUsage(deps, request, record.identifier);
    if (!chat.stream) {
      const gen = await collect(events);
      onUsage(gen.usage);
      return legacyChatBody(gen);
    }
    const chunks = legacyChatChunks(chargeUnfinished(events, onUsage), onUsage);
    return sendSse(request, reply, chunks, { doneSentinel: false });
  });

  app.post('/v1/inference/completion', async (request, reply) => {
    const { body, request: completion } = parseLegacyCompletion(request.body);
    const { record, provider } = resolveModel(deps, request, body.model_id, 'llm');
    await checkTokenBudget(deps, request);
    completion.model = record.providerResourceId;

    const events = await provider.complete(completion, callContext(request));
    const onUsage = chargeUsage(deps, request, record.identifier);
    if (!completion.stream) {
      const gen = await collect(events);
      onUsage(gen.usage);
      return legacyCompletionBody(gen);
    }
    const chunks = legacyCompletionChunks(chargeUnfinished(events, onUsage), onUsage);
    return sendSse(request, reply, chunks, {
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
