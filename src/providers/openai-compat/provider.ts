import type { Pool } from 'undici';
import { InvalidRequestError, UpstreamError } from '../../errors/errors.js';
import type {
  CallContext,
  ChatEvent,
  ChatRequest,
  CompletionRequest,
  EmbedRequest,
  EmbedResult,
  HealthStatus,
  InferenceProvider,
  ProviderDeps,
  ProviderModel,
} from '../../inference/types.js';
import type { Logger } from '../../logging/logger.js';
import { splitBaseUrl, timeoutsFromConfig } from '../shared/config.js';
import type { UpstreamTimeouts } from '../shared/config.js';
import { mapStatusError, upstreamErrorMessage } from '../shared/errors.js';
import type { UpstreamLabel } from '../shared/errors.js';
import {
  createUpstreamPool,
  readText,
  sendUpstream,
  parseUpstreamJson,
  postUpstream,
} from '../shared/http.js';
import { closePool, noEvents, probeHealth, replayEvents } from '../shared/lifecycle.js';
import type { BackgroundRetry } from '../shared/lifecycle.js';
import { startModelCheck } from '../shared/startup.js';
import type { OpenAICompatConfig } from './config.js';
import { openaiObjectEvents, openaiStreamEvents } from './stream.js';
import { tokenCount } from '../shared/usage.js';
import type { OpenAIKind } from './stream.js';
import { toOpenAIChat, toOpenAICompletion } from './translate.js';
import type { Dialect } from './translate.js';

const HEALTH_TIMEOUT_MS = 1000;
const CONTROL_TIMEOUT_MS = 10_000;

/** What distinguishes `remote::openai` from `remote::vllm`. */
export interface OpenAICompatFlavour {
  type: string;
  /** Product name for messages, e.g. `vLLM`. */
  name: string;
  extendedSampling: boolean;
  maxTokensField: Dialect['maxTokensField'];
}

/**
 * Any OpenAI-compatible server (`/chat/completions`, `/completions`, `/embeddings`, `/models`)
 * over a keep-alive pool. Only the provider's own API key is ever sent upstream: providers see a
 * ChatRequest, never the caller's headers.
 */
export class OpenAICompatProvider implements InferenceProvider {
  readonly type: string;
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly headers: Record<string, string>;
  private readonly timeouts: UpstreamTimeouts;
  private readonly control: UpstreamTimeouts;
  private readonly label: UpstreamLabel;
  private readonly dialect: Dialect;
  private readonly log: Logger;
  private startupRetry: BackgroundRetry | undefined;

  constructor(
    readonly id: string,
    private readonly config: OpenAICompatConfig,
    flavour: OpenAICompatFlavour,
    deps: ProviderDeps,
  ) {
    this.type = flavour.type;
    this.log = deps.log.child({ provider: id });
    this.timeouts = timeoutsFromConfig(config);
    this.control = {
      ...this.timeouts,
      firstByteMs: CONTROL_TIMEOUT_MS,
      idleMs: CONTROL_TIMEOUT_MS,
    };
    const { origin, prefix } = splitBaseUrl(config.url);
    this.prefix = prefix;
    this.pool = createUpstreamPool(origin, {
      connections: config.max_connections,
      connectMs: this.timeouts.connectMs,
    });
    this.headers = { 'content-type': 'application/json' };
    if (config.api_key) this.headers.authorization = `Bearer ${config.api_key}`;
    this.dialect = {
      extendedSampling: flavour.extendedSampling,
      maxTokensField: flavour.maxTokensField,
      defaultMaxTokens: config.max_tokens,
    };
    this.label = {
      name: flavour.name,
      url: config.url,
      unreachableHint:
        "Check that the server is running, or fix url in this provider's config in run.yaml.",
      missingModelHint: (model) =>
        `${flavour.name} does not serve '${model}'; check provider_model_id in run.yaml.`,
    };
  }

  async start(models: readonly ProviderModel[]): Promise<void> {
    this.startupRetry = await startModelCheck({
      log: this.log,
      label: this.label,
      models,
      list: () => this.fetchModelIds(),
      has: (ids, id) => ids.length === 0 || ids.includes(id),
      missingMessage: (id) =>
        `Model '${id}' is not served by ${this.label.name} at ${this.config.url}; requests ` +
        'for it fail until it is. Check provider_model_id in run.yaml against ' +
        `GET ${this.config.url}/models.`,
    });
  }

  chat(req: ChatRequest, ctx: CallContext): Promise<AsyncIterable<ChatEvent>> {
    const body = JSON.stringify(toOpenAIChat(req, this.dialect));
    return this.generate('/chat/completions', 'chat', body, req.model, req.stream, ctx);
  }

  complete(req: CompletionRequest, ctx: CallContext): Promise<AsyncIterable<ChatEvent>> {
    const body = JSON.stringify(toOpenAICompletion(req, this.dialect));
    return this.generate('/completions', 'completion', body, req.model, req.stream, ctx);
  }

  private async generate(
    path: string,
    kind: OpenAIKind,
    body: string,
    model: string,
    stream: boolean,
    ctx: CallContext,
  ): Promise<AsyncIterable<ChatEvent>> {
    const res = await this.post(path, body, model, ctx);
    if (!res) return noEvents();
    if (stream) return openaiStreamEvents(res.body, kind, this.label, this.timeouts, ctx.signal);
    const text = await readText(res.body, this.timeouts, this.label, ctx.signal);
    if (ctx.signal.aborted) return noEvents();
    return replayEvents(openaiObjectEvents(parseUpstreamJson(text, this.label), kind, this.label));
  }

  async embed(req: EmbedRequest, ctx: CallContext): Promise<EmbedResult> {
    const payload: Record<string, unknown> = {
      model: req.model,
      input: req.input,
      encoding_format: 'float',
    };
    if (req.dimensions !== undefined) payload.dimensions = req.dimensions;
    const res = await this.post('/embeddings', JSON.stringify(payload), req.model, ctx);
    if (!res) throw new UpstreamError('The embedding request was cancelled.', 502);
    const reply = parseUpstreamJson(
      await readText(res.body, this.timeouts, this.label, ctx.signal),
      this.label,
    );
    const { data, usage } = reply as {
      data?: { index?: number; embedding?: unknown }[];
      usage?: { prompt_tokens?: unknown };
    };
    if (!Array.isArray(data) || data.length !== req.input.length) {
      const count = Array.isArray(data) ? data.length : 'no';
      throw new UpstreamError(
        `${this.label.name} returned ${count} embeddings for ${req.input.length} inputs.`,
        502,
        { detail: { url: this.config.url } },
      );
    }
    const ordered = [...data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return {
      embeddings: ordered.map((d) => d.embedding as number[]),
      promptTokens: tokenCount(usage?.prompt_tokens),
    };
  }

  private post(path: string, body: string, model: string, ctx: CallContext) {
    const req = { method: 'POST' as const, path: this.prefix + path, headers: this.headers, body };
    const common = { signal: ctx.signal, timeouts: this.timeouts, label: this.label };
    return postUpstream(this.pool, { ...req, ...common }, model);
  }

  async checkModel(providerModelId: string): Promise<void> {
    const ids = await this.fetchModelIds();
    // A server that lists nothing cannot be checked; the first request will tell.
    if (ids.length === 0 || ids.includes(providerModelId)) return;
    throw new InvalidRequestError(
      `'${providerModelId}' model is not supported. Supported models are: ${ids.join(', ')}`,
      'provider_model_id',
    );
  }

  async listModels(): Promise<ProviderModel[]> {
    return (await this.fetchModelIds()).map((id) => ({
      providerModelId: id,
      modelType: /embed/i.test(id) ? 'embedding' : 'llm',
      metadata: {},
    }));
  }

  /** Ids from `GET /models`; empty when the server does not implement the listing. */
  private async fetchModelIds(timeouts = this.control, signal?: AbortSignal): Promise<string[]> {
    const res = await sendUpstream(this.pool, {
      method: 'GET',
      path: `${this.prefix}/models`,
      headers: this.headers,
      signal,
      timeouts,
      label: this.label,
    });
    const text = await readText(res.body, timeouts, this.label, signal);
    if (res.statusCode === 404 || res.statusCode === 405) return [];
    if (res.statusCode >= 400) {
      throw mapStatusError(res.statusCode, upstreamErrorMessage(text), this.label, undefined);
    }
    const data = (parseUpstreamJson(text, this.label) as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) return [];
    return data.flatMap((m) => (typeof m?.id === 'string' ? [m.id as string] : []));
  }

  health(): Promise<HealthStatus> {
    const timeouts = {
      ...this.timeouts,
      firstByteMs: HEALTH_TIMEOUT_MS,
      idleMs: HEALTH_TIMEOUT_MS,
    };
    return probeHealth(async (signal) => {
      await this.fetchModelIds(timeouts, signal);
    }, HEALTH_TIMEOUT_MS);
  }

  publicConfig(): Record<string, unknown> {
    const { api_key: _secret, ...rest } = this.config;
    return rest;
  }

  async close(): Promise<void> {
    this.startupRetry?.stop();
    await closePool(this.pool);
  }
}
