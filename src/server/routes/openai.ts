import type { FastifyInstance } from 'fastify';
import { collect } from '../../translate/collect.js';
import {
  parseOpenAIChat,
  parseOpenAICompletion,
  parseOpenAIEmbeddings,
} from '../../translate/openai-request.js';
import {
  chatCompletionBody,
  chatCompletionChunks,
  embeddingsBody,
  textCompletionBody,
  textCompletionChunks,
} from '../../translate/openai-response.js';
import type { ServerDeps } from '../deps.js';
import {
  callContext,
  chargeUnfinished,
  chargeUsage,
  checkTokenBudget,
  resolveModel,
} from '../models-access.js';
import { sendSse } from '../sse.js';

/** OpenAI-compatible routes, served at `/v1/...` and at the deprecated `/v1/openai/v1/...`. */
export function registerOpenAIRoutes(app: FastifyInstance, deps: ServerDeps, prefix: string): void {
  app.post(`${prefix}/chat/completions`, async (request, reply) => {
    const { body, request: chat } = parseOpenAIChat(request.body);
    const { record, provider } = resolveModel(deps, request, body.model, 'llm');
    await checkTokenBudget(deps, request);
    chat.model = record.providerResourceId;

    const events = await provider.chat(chat, callContext(request));
    const onUsage = chargeUsage(deps, request, record.identifier);
    if (!chat.stream) {
      const gen = await collect(events);
      onUsage(gen.usage);
      return chatCompletionBody(body.model, gen);
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const metered = chargeUnfinished(events, onUsage);
    const chunks = chatCompletionChunks(metered, { model: body.model, includeUsage, onUsage });
    return sendSse(request, reply, chunks, { doneSentinel: true });
  });

  app.post(`${prefix}/completions`, async (request, reply) => {
    const { body, request: completion } = parseOpenAICompletion(request.body);
    const { record, provider } = resolveModel(deps, request, body.model, 'llm');
    await checkTokenBudget(deps, request);
    completion.model = record.providerResourceId;

    const events = await provider.complete(completion, callContext(request));
    const onUsage = chargeUsage(deps, request, record.identifier);
    if (!completion.stream) {
      const gen = await collect(events);
      onUsage(gen.usage);
      return textCompletionBody(body.model, gen);
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const metered = chargeUnfinished(events, onUsage);
    const chunks = textCompletionChunks(metered, { model: body.model, includeUsage, onUsage });
    return sendSse(request, reply, chunks, { doneSentinel: true });
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
