import type {
  CallContext,
  ChatRequest,
  CompletionRequest,
  EmbedRequest,
  HealthStatus,
  InferenceProvider,
  ProviderDeps,
  ProviderModel,
} from '../../inference/types.js';
import { UpstreamUnavailableError } from '../../errors/errors.js';
import type { LlamaCppConfig } from './config.js';

/**
 * Defers loading node-llama-cpp (over a second of import time, native binaries included) until a
 * stack that really configures `inline::llama-cpp` starts it. Every other command and stack, and
 * every test that does not use the engine, starts without it.
 */
export class LazyLlamaCppProvider implements InferenceProvider {
  readonly type = 'inline::llama-cpp';
  private impl: InferenceProvider | undefined;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly config: LlamaCppConfig,
    private readonly deps: ProviderDeps,
  ) {}

  async start(models: readonly ProviderModel[]): Promise<void> {
    const { LlamaCppProvider } = await import('./provider.js');
    if (this.closed) return;
    this.impl = new LlamaCppProvider(this.id, this.config, this.deps);
    await this.impl.start(models);
  }

  private started(): InferenceProvider {
    if (!this.impl) throw new UpstreamUnavailableError(`provider '${this.id}' has not started`);
    return this.impl;
  }

  chat(req: ChatRequest, ctx: CallContext) {
    return this.started().chat(req, ctx);
  }

  complete(req: CompletionRequest, ctx: CallContext) {
    return this.started().complete(req, ctx);
  }

  embed(req: EmbedRequest, ctx: CallContext) {
    return this.started().embed(req, ctx);
  }

  checkModel(providerModelId: string, modelType: 'llm' | 'embedding') {
    return this.started().checkModel(providerModelId, modelType);
  }

  async listModels() {
    return this.impl ? this.impl.listModels() : [];
  }

  async health(): Promise<HealthStatus> {
    return this.impl ? this.impl.health() : { status: 'Error', message: 'model not loaded yet' };
  }

  publicConfig(): Record<string, unknown> {
    return this.impl ? this.impl.publicConfig() : { ...this.config };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.impl?.close();
  }
}
