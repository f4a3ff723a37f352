/** Shared helpers for the embedded-engine tests: tiny models in temp dirs and provider setup. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  CallContext,
  ChatEvent,
  ChatRequest,
  InferenceProvider,
  ProviderModel,
} from '../../src/inference/types.js';
import { silentLogger } from '../../src/logging/logger.js';
import type { Logger } from '../../src/logging/logger.js';
import { llamaCppProviderFactory } from '../../src/providers/llama-cpp/index.js';

/** A temp directory removed by `cleanup`. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'llamagate-llamacpp-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Creates (not starts) a provider through its factory, as the registry does. */
export function llamaCppProvider(
  config: Record<string, unknown>,
  log: Logger = silentLogger(),
  dataDir = tmpdir(),
): InferenceProvider {
  const parsed = llamaCppProviderFactory.configSchema.parse(config);
  return llamaCppProviderFactory.create('local', parsed, { log, dataDir });
}

/** Creates and starts a provider. */
export async function startedProvider(
  config: Record<string, unknown>,
  models: ProviderModel[] = [],
): Promise<InferenceProvider> {
  const provider = llamaCppProvider(config);
  await provider.start(models);
  return provider;
}

/** A call context with its own abort controller. */
export function callContext(): CallContext & { abort(): void } {
  const controller = new AbortController();
  return {
    signal: controller.signal,
    log: silentLogger(),
    requestId: 'req-test',
    abort: () => controller.abort(),
  };
}

export async function collect(events: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

export function textOf(events: ChatEvent[]): string {
  return events.map((e) => (e.type === 'text' ? e.text : '')).join('');
}

export function doneOf(events: ChatEvent[]): Extract<ChatEvent, { type: 'done' }> | undefined {
  return events.find((e): e is Extract<ChatEvent, { type: 'done' }> => e.type === 'done');
}

export function chatRequest(model: string, overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say hello to the llama.' },
    ],
    sampling: { maxTokens: 8, seed: 7 },
    stream: true,
    ...overrides,
  };
}
