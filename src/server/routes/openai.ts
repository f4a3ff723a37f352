import type { FastifyInstance } from 'fastify';
import {
  parseOpenAIChat,
  parseOpenAICompletion,
  parseOpenAIEmbeddings,
} from '../../translate/openai-request.js';
import {
  chatCompletionBody,
  chatCompletionEncoder,
  embeddingsBody,
  textCompletionBody,
  textCompletionEncoder,
} from '../../translate/openai-response.js';
import type { ServerDeps } from '../deps.js';
import { callContext, chargeUsage, checkTokenBudget, resolveModel } from '../models-access.js';
import { serveGeneration } from '../generation.js';

/** OpenAI-compatible routes, served at `/v1/...` and at the deprecated `/v1/openai/v1/...`. */
export function registerOpenAIRoutes(app: FastifyInstance, deps: ServerDeps, prefix: string): void {
  app.post(`${prefix}/chat/completions`, async (request, reply) => {
    const { body, request: chat } = parseOpenAIChat(request.body);
    const includeUsage = body.stream_options?.include_usage === true;
    return serveGeneration(deps, request, reply, {
      model: body.model,
      stream: chat.stream,
      start: (provider, model, ctx) => provider.chat({ ...chat, model }, ctx),
      body: (gen) => chatCompletionBody(body.model, gen),
      encoder: () => chatCompletionEncoder({ model: body.model, includeUsage }),
      doneSentinel: true,
    });
  });

  app.post(`${prefix}/completions`, async (request, reply) => {
    const { body, request: completion } = parseOpenAICompletion(request.body);
    const includeUsage = body.stream_options?.include_usage === true;
    return serveGeneration(deps, request, reply, {
      model: body.model,
      stream: completion.stream,
      start: (provider, model, ctx) => provider.complete({ ...completion, model }, ctx),
      body: (gen) => textCompletionBody(body.model, gen),
      encoder: () => textCompletionEncoder({ model: body.model, includeUsage }),
      doneSentinel: true,
    });
  });

  app.post(`${prefix}/embeddings`, async (request) => {
    const body = parseOpenAIEmbeddings(request.body);
    const { record, provider } = resolveModel(deps, request, body.model, 'embedding');
    await checkTokenBudget(deps, request);

    const input = typeof body.input === 'string' ? [body.input] : body.input;
    const embed = {
      model: record.providerResourceId,
      input,
      ...(body.dimensions ? { dimensions: body.dimensions } : {}),
    };
    const result = await provider.embed(embed, callContext(request));
    chargeUsage(
      deps,
      request,
      record.identifier,
    )({ promptTokens: result.promptTokens, completionTokens: 0 });
    return embeddingsBody(body.model, result.embeddings, result.promptTokens, body.encoding_format);
  });
}
