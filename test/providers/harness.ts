/** Small helpers shared by the provider tests. */
import type {
  CallContext,
  ChatEvent,
  ChatRequest,
  InferenceProvider,
} from '../../src/inference/types.js';
import { createLogger, silentLogger } from '../../src/logging/logger.js';
import type { Logger } from '../../src/logging/logger.js';
import { ollamaProviderFactory } from '../../src/providers/ollama/index.js';
import {
  openaiProviderFactory,
  vllmProviderFactory,
} from '../../src/providers/openai-compat/index.js';

/** A call context with its own abort controller. */
export function callContext(log: Logger = silentLogger()): CallContext & { abort(): void } {
  const controller = new AbortController();
  return {
    signal: controller.signal,
    log,
    requestId: 'req-test',
    abort: () => controller.abort(),
  };
}

/** Drains an event stream into an array. */
export async function collect(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

/** Joins the text events. */
export function textOf(events: ChatEvent[]): string {
  return events.map((e) => (e.type === 'text' ? e.text : '')).join('');
}

export { capturingLogger } from '../support/capturing-logger.js';

/** Builds an Ollama provider through its factory, as the registry does. */
export function ollamaProvider(
  config: Record<string, unknown>,
  log: Logger = silentLogger(),
): InferenceProvider {
  const parsed = ollamaProviderFactory.configSchema.parse(config);
  return ollamaProviderFactory.create('ollama', parsed, { log, dataDir: '/nonexistent' });
}

/** A minimal chat request. */
export function chatRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'llama3.2:3b',
    messages: [{ role: 'user', content: 'Say hello' }],
    sampling: {},
    stream: true,
    ...overrides,
  };
}

/** Builds a `remote::openai` or `remote::vllm` provider through its factory. */
export function openaiCompatProvider(
  type: 'openai' | 'vllm',
  config: Record<string, unknown>,
  log: Logger = silentLogger(),
): InferenceProvider {
  if (type === 'openai') {
    const parsed = openaiProviderFactory.configSchema.parse(config);
    return openaiProviderFactory.create('openai', parsed, { log, dataDir: '/nonexistent' });
  }
  const parsed = vllmProviderFactory.configSchema.parse(config);
  return vllmProviderFactory.create('vllm', parsed, { log, dataDir: '/nonexistent' });
}
