import type { FastifyRequest } from 'fastify';
import {
  InvalidRequestError,
  ModelNotFoundError,
  UpstreamUnavailableError,
} from '../errors/errors.js';
import type { ModelRecord, ModelType } from '../inference/registry.js';
import type { CallContext, InferenceProvider, Usage } from '../inference/types.js';
import type { Logger } from '../logging/logger.js';
import type { StreamEncoder } from '../translate/stream-encoder.js';
import type { ServerDeps } from './deps.js';

export interface ResolvedModel {
  record: ModelRecord;
  provider: InferenceProvider;
}

/**
 * Finds the model a caller named and checks they may use it. A model the policy hides answers
 * exactly like a model that does not exist, so callers cannot probe for names.
 */
export function resolveModel(
  deps: ServerDeps,
  request: FastifyRequest,
  name: string,
  type: ModelType,
): ResolvedModel {
  const record = deps.registry.resolve(name);
  const resource = { type: 'model' as const, id: record.identifier, owner: record.owner };
  if (!deps.policy.isAllowed(request.principal, 'read', resource))
    throw new ModelNotFoundError(name);

  if (record.modelType !== type) {
    const want = type === 'llm' ? 'a language model (llm)' : 'an embedding model';
    const actual = record.modelType === 'llm' ? 'a language model' : 'an embedding model';
    throw new InvalidRequestError(
      `Model '${name}' is ${actual}; this route needs ${want}`,
      'model',
    );
  }
  const provider = deps.providers.get(record.providerId);
  if (!provider)
    throw new UpstreamUnavailableError(`provider '${record.providerId}' is not available`);
  return { record, provider };
}

export function callContext(request: FastifyRequest): CallContext {
  // The app is built with a pino loggerInstance, so request loggers are pino children.
  return { signal: request.abortSignal, log: request.log as Logger, requestId: request.id };
}

/** Refuses generation up front when the caller's token budget is already spent. */
export async function checkTokenBudget(deps: ServerDeps, request: FastifyRequest): Promise<void> {
  await deps.quota?.checkTokens(request.principal, request.ip);
}

/** Charges real usage to the caller's token budget; never fails the request. */
export function chargeUsage(
  deps: ServerDeps,
  request: FastifyRequest,
  model: string,
): (u: Usage) => void {
  return (u) => {
    try {
      deps.metrics.countTokens(model, u);
    } catch (err) {
      request.log.warn({ err }, 'could not count token usage');
    }
    if (!deps.quota) return;
    const tokens = u.promptTokens + u.completionTokens;
    deps.quota.chargeTokens(request.principal, request.ip, tokens).catch((err: unknown) => {
      request.log.warn({ err }, 'could not charge token usage');
    });
  };
}

/**
 * The usage to charge for an answer: as reported, except that an upstream that reports no
 * completion tokens for an answer that has some is charged one token per text or tool-call
 * event. Otherwise a server that omits usage would make every answer free of the token budget.
 */
export function usageToCharge(reported: Usage, produced: number): Usage {
  if (reported.completionTokens > 0 || produced === 0) return reported;
  return { promptTokens: reported.promptTokens, completionTokens: produced };
}

/**
 * Charges a streamed answer: its usage when it finishes (see usageToCharge), or, when it ends
 * without finishing (client gone, upstream failure), the text and tool-call events it already
 * produced, one token each. Otherwise disconnecting just before the end would make any answer
 * free of the token budget.
 */
export function chargeStream(encoder: StreamEncoder, onUsage: (u: Usage) => void): StreamEncoder {
  let produced = 0;
  let finished = false;
  return {
    opening: () => encoder.opening(),
    encode(event) {
      if (event.type === 'done') {
        finished = true;
        onUsage(usageToCharge(event.usage, produced));
      } else produced++;
      return encoder.encode(event);
    },
    close() {
      encoder.close?.();
      // TODO(quota): the prompt's tokens are only reported in the final frame, so they go
      // uncharged.
      if (!finished && produced > 0) onUsage({ promptTokens: 0, completionTokens: produced });
    },
  };
}
