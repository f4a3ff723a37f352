import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext, ChatEvent, InferenceProvider, Usage } from '../inference/types.js';
import { collect } from '../translate/collect.js';
import type { CollectedGeneration } from '../translate/collect.js';
import type { StreamEncoder } from '../translate/stream-encoder.js';
import type { ServerDeps } from './deps.js';
import {
  callContext,
  chargeStream,
  chargeUsage,
  checkTokenBudget,
  resolveModel,
  usageToCharge,
} from './models-access.js';
import { sendSse } from './sse.js';

/** What a generation route contributes: its request and its answer shapes. */
export interface GenerationSpec {
  /** The model name the caller sent. */
  model: string;
  stream: boolean;
  /** Starts the upstream work; `model` is the provider's own id for the resolved model. */
  start(
    provider: InferenceProvider,
    model: string,
    ctx: CallContext,
  ): Promise<AsyncIterable<ChatEvent>>;
  /** The whole answer, for non-streaming calls. */
  body(gen: CollectedGeneration): unknown;
  /** The streamed answer's encoder. */
  encoder(): StreamEncoder;
  /** OpenAI streams end with `data: [DONE]`; Llama Stack's do not. */
  doneSentinel: boolean;
}

/**
 * The one flow of every generation route, whatever its API family: resolve and authorise the
 * model, check the caller's token budget, start the provider (errors before the first byte are
 * plain HTTP errors), then answer whole or streamed and charge the real usage.
 */
export async function serveGeneration(
  deps: ServerDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  spec: GenerationSpec,
): Promise<unknown> {
  const { record, provider } = resolveModel(deps, request, spec.model, 'llm');
  await checkTokenBudget(deps, request);
  const events = await spec.start(provider, record.providerResourceId, callContext(request));
  const onUsage = chargeUsage(deps, request, record.identifier);

  if (!spec.stream) {
    const gen = await collect(events);
    onUsage(usageToCharge(gen.usage, gen.produced));
    return spec.body(gen);
  }
  const encoder = chargeStream(spec.encoder(), onUsage);
  return sendSse(request, reply, events, encoder, {
    doneSentinel: spec.doneSentinel,
    sendTimeoutMs: deps.server.send_timeout * 1000,
  });
}
