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
import { timeoutsFromConfig } from '../shared/config.js';
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
import type { UpstreamRequest } from '../shared/http.js';
import { closePool, noEvents, probeHealth, replayEvents } from '../shared/lifecycle.js';
import type { BackgroundRetry } from '../shared/lifecycle.js';
import { startModelCheck } from '../shared/startup.js';
import type { OllamaConfig } from './config.js';
import { findTag, parseTags, tagsToModels } from './models.js';
import type { OllamaTag } from './models.js';
import { ollamaObjectEvents, ollamaStreamEvents } from './stream.js';
import type { OllamaKind } from './stream.js';
import { toOllamaChat, toOllamaGenerate } from './translate.js';
import { tokenCount } from '../shared/usage.js';

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/x-ndjson' };
const HEALTH_TIMEOUT_MS = 1000;
/** Model listing is a quick metadata call; it must not wait as long as a cold model load. */
const CONTROL_TIMEOUT_MS = 10_000;

/** Container-side names for the host, as in the tutorial's run.yaml. */
const CONTAINER_HOST_NAMES = new Set(['host.containers.internal', 'host.docker.internal']);

/** What to do about an Ollama that does not answer. */
export function unreachableHint(url: string): string {
  const serve = "Start it with 'ollama serve' on that host";
  if (CONTAINER_HOST_NAMES.has(new URL(url).hostname)) {
    return (
      `${serve}; outside a container that host name does not resolve: point the url at ` +
      'Ollama, e.g. --env OLLAMA_URL=http://localhost:11434 with the shipped configs/run.yaml.'
    );
  }
  return `${serve}, or fix url in this provider's config in run.yaml.`;
}

/** `remote::ollama`: Ollama's native `/api/*` protocol over a keep-alive connection pool. */
export class OllamaProvider implements InferenceProvider {
  readonly type = 'remote::ollama';
  private readonly pool: Pool;
  private readonly timeouts: UpstreamTimeouts;
  private readonly control: UpstreamTimeouts;
  private readonly label: UpstreamLabel;
  private readonly log: Logger;
  private startupRetry: BackgroundRetry | undefined;

  constructor(
    readonly id: string,
    private readonly config: OllamaConfig,
    deps: ProviderDeps,
  ) {
    this.log = deps.log.child({ provider: id });
    this.timeouts = timeoutsFromConfig(config);
    this.control = {
      ...this.timeouts,
      firstByteMs: CONTROL_TIMEOUT_MS,
      idleMs: CONTROL_TIMEOUT_MS,
    };
    this.pool = createUpstreamPool(config.url, {
      connections: config.max_connections,
      connectMs: this.timeouts.connectMs,
    });
    this.label = {
      name: 'Ollama',
      url: config.url,
      unreachableHint: unreachableHint(config.url),
      missingModelHint: (model) => `Run 'ollama pull ${model}' on the Ollama host.`,
    };
  }

  /**
   * Checks configured models against `/api/tags`; an unreachable Ollama is retried in the
   * background.
   */
  async start(models: readonly ProviderModel[]): Promise<void> {
    this.startupRetry = await startModelCheck({
      log: this.log,
      label: this.label,
      models,
      list: async () => (await this.fetchTags()).map((t) => t.name),
      has: (names, id) =>
        findTag(
          names.map((name) => ({ name })),
          id,
        ) !== undefined,
      missingMessage: (id) =>
        `Model '${id}' is not available in Ollama at ${this.config.url}. Run 'ollama pull ${id}' ` +
        `on the Ollama host; requests for it fail until then.`,
    });
  }

  async chat(req: ChatRequest, ctx: CallContext): Promise<AsyncIterable<ChatEvent>> {
    const body = JSON.stringify(toOllamaChat(req, req.stream, this.config.keep_alive));
    return this.generate('/api/chat', 'chat', body, req.model, req.stream, ctx);
  }

  async complete(req: CompletionRequest, ctx: CallContext): Promise<AsyncIterable<ChatEvent>> {
    const body = JSON.stringify(toOllamaGenerate(req, req.stream, this.config.keep_alive));
    return this.generate('/api/generate', 'generate', body, req.model, req.stream, ctx);
  }

  /**
   * A caller that disconnects before Ollama answers gets an empty stream (no `done`), not an
   * error: nobody is left to read it. With `stream: false` Ollama sends nothing until the answer is
   * complete, so first_byte_timeout bounds the whole generation of such requests.
   * TODO(ollama): stream upstream for long non-streamed generations if that limit bites.
   */
  private async generate(
    path: string,
    kind: OllamaKind,
    body: string,
    model: string,
    stream: boolean,
    ctx: CallContext,
  ): Promise<AsyncIterable<ChatEvent>> {
    const res = await this.post(path, body, model, ctx);
    if (!res) return noEvents();
    if (stream) return ollamaStreamEvents(res.body, kind, this.label, this.timeouts, ctx.signal);
    const text = await readText(res.body, this.timeouts, this.label, ctx.signal);
    if (ctx.signal.aborted) return noEvents();
    return replayEvents(ollamaObjectEvents(parseUpstreamJson(text, this.label), kind, this.label));
  }

  async embed(req: EmbedRequest, ctx: CallContext): Promise<EmbedResult> {
    const payload: Record<string, unknown> = { model: req.model, input: req.input };
    if (req.dimensions !== undefined) payload.dimensions = req.dimensions;
    if (req.truncate !== undefined) payload.truncate = req.truncate;
    if (this.config.keep_alive !== undefined) payload.keep_alive = this.config.keep_alive;
    const res = await this.post('/api/embed', JSON.stringify(payload), req.model, ctx);
    if (!res) throw new UpstreamError('The embedding request was cancelled.', 502);
    const reply = parseUpstreamJson(
      await readText(res.body, this.timeouts, this.label, ctx.signal),
      this.label,
    );
    const { embeddings, prompt_eval_count } = reply as {
      embeddings?: unknown;
      prompt_eval_count?: unknown;
    };
    if (!Array.isArray(embeddings) || embeddings.length !== req.input.length) {
      const count = Array.isArray(embeddings) ? embeddings.length : 'no';
      throw new UpstreamError(
        `Ollama returned ${count} embeddings for ${req.input.length} inputs.`,
        502,
        {
          detail: { url: this.config.url },
        },
      );
    }
    return { embeddings: embeddings as number[][], promptTokens: tokenCount(prompt_eval_count) };
  }

  private post(path: string, body: string, model: string, ctx: CallContext) {
    const req = { method: 'POST' as const, path, headers: JSON_HEADERS, body };
    const common = { signal: ctx.signal, timeouts: this.timeouts, label: this.label };
    return postUpstream(this.pool, { ...req, ...common }, model);
  }

  async checkModel(providerModelId: string): Promise<void> {
    const tags = await this.fetchTags();
    if (findTag(tags, providerModelId)) return;
    const names = tags.map((t) => t.name).join(', ') || '(none; pull one with ollama pull)';
    throw new InvalidRequestError(
      `'${providerModelId}' model is not supported. Supported models are: ${names}`,
      'provider_model_id',
    );
  }

  async listModels(): Promise<ProviderModel[]> {
    return tagsToModels(await this.fetchTags());
  }

  private async fetchTags(signal?: AbortSignal): Promise<OllamaTag[]> {
    return parseTags(await this.getJson('/api/tags', this.control, signal));
  }

  private async getJson(path: string, timeouts: UpstreamTimeouts, signal?: AbortSignal) {
    const req: UpstreamRequest = { method: 'GET', path, signal, timeouts, label: this.label };
    const res = await sendUpstream(this.pool, req);
    const text = await readText(res.body, timeouts, this.label, signal);
    if (res.statusCode >= 400) {
      throw mapStatusError(res.statusCode, upstreamErrorMessage(text), this.label, undefined);
    }
    return parseUpstreamJson(text, this.label);
  }

  health(): Promise<HealthStatus> {
    const timeouts = {
      ...this.timeouts,
      firstByteMs: HEALTH_TIMEOUT_MS,
      idleMs: HEALTH_TIMEOUT_MS,
    };
    return probeHealth(async (signal) => {
      await this.getJson('/api/ps', timeouts, signal);
    }, HEALTH_TIMEOUT_MS);
  }

  publicConfig(): Record<string, unknown> {
    return { ...this.config };
  }

  async close(): Promise<void> {
    this.startupRetry?.stop();
    await closePool(this.pool);
  }
}
