import { basename } from 'node:path';
import type { LlamaContextSequence } from 'node-llama-cpp';
import {
  ConfigError,
  InvalidRequestError,
  ModelNotFoundError,
  UpstreamUnavailableError,
} from '../../errors/errors.js';
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
import { noEvents } from '../shared/lifecycle.js';
import type { LlamaCppConfig } from './config.js';
import { embedTokens, tokenizeInputs } from './embed.js';
import { startChat, startCompletion, type GenerationJob } from './generate.js';
import { loadEngine, type LoadedEngine } from './loader.js';
import { QueueAbortedError, SlotQueue } from './queue.js';
import { toFunctions } from './tools.js';
import { checkChatSupported, toChatHistory, toGrammar, toSampling } from './translate.js';

type State =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'ready'; engine: LoadedEngine }
  | { kind: 'failed'; message: string }
  | { kind: 'closed' };

/** `inline::llama-cpp`: a GGUF model run in-process by node-llama-cpp (llama.cpp). */
export class LlamaCppProvider implements InferenceProvider {
  readonly type = 'inline::llama-cpp';
  private readonly log: Logger;
  private readonly queue: SlotQueue;
  private readonly embedQueue: SlotQueue;
  private readonly servedIds = new Set<string>();
  private readonly defaultId: string;
  private state: State = { kind: 'idle' };
  private embedding = false;

  constructor(
    readonly id: string,
    private readonly config: LlamaCppConfig,
    deps: ProviderDeps,
  ) {
    this.log = deps.log.child({ provider: id });
    this.queue = new SlotQueue(config.max_parallel, config.max_queue);
    // An embedding context has a single sequence: embeddings run one request at a time.
    this.embedQueue = new SlotQueue(1, config.max_queue);
    this.defaultId =
      config.ollama_model ?? basename(config.model_path ?? id).replace(/\.gguf$/i, '');
    this.servedIds.add(this.defaultId);
  }

  /** Loads the model; every problem with the file or the machine is a ConfigError. */
  async start(models: readonly ProviderModel[]): Promise<void> {
    for (const m of models) this.servedIds.add(m.providerModelId);
    this.embedding = this.modeFor(models);
    this.state = { kind: 'loading' };
    try {
      const engine = await loadEngine(this.id, this.config, this.embedding, this.log);
      // close() may have run while the model loaded.
      if ((this.state as State).kind === 'closed') {
        await engine.dispose();
        return;
      }
      this.state = { kind: 'ready', engine };
    } catch (err) {
      this.state = { kind: 'failed', message: (err as Error).message };
      throw err;
    }
  }

  async chat(req: ChatRequest, ctx: CallContext): Promise<AsyncIterable<ChatEvent>> {
    const engine = this.engineFor(req.model);
    checkChatSupported(req);
    if (!engine.context || !engine.chatWrapper) throw this.notAChatModel(req.model);
    const history = toChatHistory(req);
    const functions = toFunctions(req);
    const rendered = engine.chatWrapper.generateContextState({
      chatHistory: history,
      ...(functions ? { availableFunctions: functions, documentFunctionParams: true } : {}),
    });
    const promptTokens = rendered.contextText.tokenize(engine.model.tokenizer).length;
    const maxTokens = this.budget(engine, promptTokens, req.sampling.maxTokens);
    const grammar = await toGrammar(engine.llama, req.responseFormat);
    const chatWrapper = engine.chatWrapper;
    return this.withSequence(engine, ctx, (sequence, release) =>
      startChat(
        this.job(ctx, sequence, release, req, { promptTokens, maxTokens, grammar }),
        chatWrapper,
        history,
        functions,
      ),
    );
  }

  async complete(req: CompletionRequest, ctx: CallContext): Promise<AsyncIterable<ChatEvent>> {
    const engine = this.engineFor(req.model);
    if (!engine.context) throw this.notAChatModel(req.model);
    if (req.suffix) {
      // TODO(llama-cpp): fill-in-the-middle via LlamaCompletion.generateInfillCompletion for
      // models with infill tokens; plain completion covers the common case.
      throw new InvalidRequestError('suffix is not supported by inline::llama-cpp yet', 'suffix');
    }
    const bos = engine.model.tokens.shouldPrependBosToken ? 1 : 0;
    const promptTokens = engine.model.tokenize(req.prompt).length + bos;
    const maxTokens = this.budget(engine, promptTokens, req.sampling.maxTokens);
    const grammar = await toGrammar(engine.llama, req.responseFormat);
    return this.withSequence(engine, ctx, (sequence, release) =>
      startCompletion(
        this.job(ctx, sequence, release, req, { promptTokens, maxTokens, grammar }),
        req.prompt,
      ),
    );
  }

  async embed(req: EmbedRequest, ctx: CallContext): Promise<EmbedResult> {
    const engine = this.engineFor(req.model);
    if (!engine.embeddingContext) {
      throw new InvalidRequestError(
        `model '${req.model}' is served by provider '${this.id}', which loaded its model file ` +
          'for chat; embeddings need a provider entry of their own with embedding: true',
        'model',
      );
    }
    const inputs = tokenizeInputs(engine.model, req, engine.contextSize);
    const release = await this.embedQueue.acquire(ctx.signal).catch((err: unknown) => {
      throw err instanceof QueueAbortedError ? this.clientGone() : err;
    });
    try {
      const result = await embedTokens(engine.embeddingContext, inputs, ctx.signal);
      if (!result) throw this.clientGone();
      return result;
    } finally {
      release();
    }
  }

  async checkModel(providerModelId: string, modelType: 'llm' | 'embedding'): Promise<void> {
    if ((modelType === 'embedding') !== this.embedding) {
      const loaded = this.embedding ? 'embeddings' : 'chat';
      throw new InvalidRequestError(
        `provider '${this.id}' (inline::llama-cpp) loaded its model file for ${loaded}, so it ` +
          `cannot serve a${modelType === 'llm' ? ' chat' : 'n embedding'} model; register it ` +
          'with a provider entry of that kind (embedding: true serves embeddings)',
        'model_type',
      );
    }
    // The provider serves one model; any registered id is an alias of it.
    this.servedIds.add(providerModelId);
  }

  async listModels(): Promise<ProviderModel[]> {
    const engine = this.state.kind === 'ready' ? this.state.engine : undefined;
    const metadata: Record<string, unknown> = { provider: this.type };
    if (engine) {
      metadata.context_length = engine.contextSize;
      if (this.embedding) metadata.embedding_dimension = engine.model.embeddingVectorSize;
    }
    return [
      {
        providerModelId: this.defaultId,
        modelType: this.embedding ? 'embedding' : 'llm',
        metadata,
      },
    ];
  }

  async health(): Promise<HealthStatus> {
    switch (this.state.kind) {
      case 'ready':
        return { status: 'OK' };
      case 'failed':
        return { status: 'Error', message: this.state.message };
      case 'closed':
        return { status: 'Error', message: 'provider is shut down' };
      default:
        return { status: 'Error', message: 'model is still loading' };
    }
  }

  publicConfig(): Record<string, unknown> {
    const engine = this.state.kind === 'ready' ? this.state.engine : undefined;
    return {
      model_path: this.config.model_path ?? engine?.path ?? null,
      ollama_model: this.config.ollama_model ?? null,
      models_dir: this.config.models_dir ?? null,
      context_size: engine?.contextSize ?? this.config.context_size ?? null,
      threads: engine?.threads ?? this.config.threads ?? null,
      gpu: this.config.gpu,
      gpu_layers: this.config.gpu_layers ?? null,
      max_parallel: this.config.max_parallel,
      max_queue: this.config.max_queue,
      max_tokens: this.config.max_tokens ?? null,
      embedding: this.embedding,
    };
  }

  async close(): Promise<void> {
    const previous = this.state;
    this.state = { kind: 'closed' };
    const shutdown = new UpstreamUnavailableError('the embedded model is shutting down');
    this.queue.rejectAll(shutdown);
    this.embedQueue.rejectAll(shutdown);
    if (previous.kind === 'ready') await previous.engine.dispose();
  }

  private engineFor(model: string): LoadedEngine {
    if (!this.servedIds.has(model)) {
      throw new ModelNotFoundError(
        model,
        `Provider '${this.id}' (inline::llama-cpp) serves '${this.defaultId}'.`,
      );
    }
    switch (this.state.kind) {
      case 'ready':
        return this.state.engine;
      case 'failed':
        throw new UpstreamUnavailableError(
          `the embedded model failed to load: ${this.state.message}`,
        );
      case 'closed':
        throw new UpstreamUnavailableError('the embedded model is shut down');
      default:
        throw new UpstreamUnavailableError('the embedded model is still loading; retry shortly', {
          headers: { 'retry-after': '2' },
        });
    }
  }

  /**
   * Whether the model file is loaded for embeddings: one engine serves either chat or embeddings,
   * so models of both kinds on one provider entry are a configuration error, not a model that
   * fails on every request of the other kind.
   */
  private modeFor(models: readonly ProviderModel[]): boolean {
    const ids = (type: 'llm' | 'embedding') =>
      models.filter((m) => m.modelType === type).map((m) => `'${m.providerModelId}'`);
    const [chat, embed] = [ids('llm'), ids('embedding')];
    const where = `provider '${this.id}' (inline::llama-cpp)`;
    const split =
      'a llama.cpp provider loads its model file for chat or for embeddings; give the embedding ' +
      'models a provider entry of their own with embedding: true';
    if (this.config.embedding === true && chat.length > 0) {
      throw new ConfigError(
        `${where} has embedding: true but serves chat models ${chat}; give the chat models ` +
          'a provider entry of their own, without embedding: true',
      );
    }
    if (this.config.embedding === false && embed.length > 0) {
      throw new ConfigError(
        `${where} has embedding: false but serves embedding models ${embed}; ${split}`,
      );
    }
    if (this.config.embedding == null && chat.length > 0 && embed.length > 0) {
      throw new ConfigError(
        `${where} serves chat models ${chat} and embedding models ${embed}; ${split}`,
      );
    }
    return this.config.embedding ?? (embed.length > 0 && chat.length === 0);
  }

  private notAChatModel(model: string): InvalidRequestError {
    return new InvalidRequestError(
      `model '${model}' is served by provider '${this.id}', which loaded its model file for ` +
        'embeddings (embedding: true); it cannot chat or complete',
      'model',
    );
  }

  private clientGone(): UpstreamUnavailableError {
    return new UpstreamUnavailableError('the request was cancelled by the client');
  }

  /** Waits for a slot (FIFO), then hands a fresh sequence to `start`. */
  private async withSequence(
    engine: LoadedEngine,
    ctx: CallContext,
    start: (sequence: LlamaContextSequence, release: () => void) => AsyncIterable<ChatEvent>,
  ): Promise<AsyncIterable<ChatEvent>> {
    if (this.queue.activeCount >= this.queue.maxActive) {
      ctx.log.debug({ queued: this.queue.queuedCount }, 'waiting for a free llama.cpp sequence');
    }
    if (this.state.kind !== 'ready')
      throw new UpstreamUnavailableError('the embedded model is shut down');
    let release: () => void;
    try {
      release = await this.queue.acquire(ctx.signal);
    } catch (err) {
      if (err instanceof QueueAbortedError) return noEvents();
      throw err;
    }
    if (this.state.kind !== 'ready' || !engine.context) {
      release();
      throw new UpstreamUnavailableError('the embedded model is shut down');
    }
    let sequence: LlamaContextSequence;
    try {
      sequence = engine.context.getSequence();
    } catch (err) {
      release();
      throw new UpstreamUnavailableError('no free llama.cpp sequence', { cause: err });
    }
    return start(sequence, release);
  }

  /** Tokens left for the reply; rejects prompts that do not fit before any slot is taken. */
  private budget(engine: LoadedEngine, promptTokens: number, maxTokens?: number): number {
    if (maxTokens !== undefined && maxTokens < 1) {
      throw new InvalidRequestError('max_tokens must be at least 1', 'max_tokens');
    }
    const room = engine.contextSize - promptTokens;
    if (room <= 0) {
      throw new InvalidRequestError(
        `the prompt is ${promptTokens} tokens, ` +
          `but the model's context holds ${engine.contextSize}; ` +
          'shorten the conversation or raise context_size in the provider config',
        'messages',
      );
    }
    return Math.min(maxTokens ?? this.config.max_tokens ?? room, room);
  }

  private job(
    ctx: CallContext,
    sequence: LlamaContextSequence,
    release: () => void,
    req: ChatRequest | CompletionRequest,
    plan: { promptTokens: number; maxTokens: number; grammar: GenerationJob['grammar'] },
  ): GenerationJob {
    return {
      sequence,
      sampling: toSampling(req.sampling),
      ...plan,
      signal: ctx.signal,
      log: ctx.log,
      release,
    };
  }
}
