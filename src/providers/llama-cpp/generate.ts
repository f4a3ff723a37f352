/**
 * One generation on one context sequence: streams text events as tokens decode and ends with
 * exactly one `done`, or without it when the caller went away. The sequence and its queue slot
 * are freed the moment generation stops, whatever stopped it.
 */
import {
  LlamaChat,
  LlamaCompletion,
  type ChatHistoryItem,
  type ChatModelFunctions,
  type ChatWrapper,
  type LlamaContextSequence,
  type LlamaGrammar,
} from 'node-llama-cpp';
import { UpstreamError } from '../../errors/errors.js';
import type { ChatEvent, FinishReason, ToolCall } from '../../inference/types.js';
import type { Logger } from '../../logging/logger.js';
import { EventChannel } from './channel.js';
import { toToolCalls } from './tools.js';
import type { GenerationSampling } from './translate.js';

export interface GenerationJob {
  sequence: LlamaContextSequence;
  sampling: GenerationSampling;
  grammar: LlamaGrammar | undefined;
  maxTokens: number;
  promptTokens: number;
  signal: AbortSignal;
  log: Logger;
  /** Gives the slot back to the queue; called once, after the sequence is disposed. */
  release: () => void;
}

type Stop = 'eogToken' | 'stopGenerationTrigger' | 'customStopTrigger' | 'maxTokens' | string;

const finishReasonOf = (stop: Stop): FinishReason =>
  stop === 'maxTokens' ? 'length' : stop === 'functionCalls' ? 'tool_calls' : 'stop';

/**
 * Runs `generate` with callbacks wired into an event channel and returns the channel. `generate`
 * receives the abort signal, the text sink and the token counter.
 */
function runJob(
  job: GenerationJob,
  generate: (hooks: {
    signal: AbortSignal;
    onTextChunk: (text: string) => void;
    onToken: (tokens: readonly unknown[]) => void;
  }) => Promise<{ stopReason: Stop; toolCalls?: ToolCall[] }>,
  dispose: () => void,
): AsyncIterable<ChatEvent> {
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  job.signal.addEventListener('abort', onAbort, { once: true });
  const channel = new EventChannel<ChatEvent>(() => stop.abort());
  let completionTokens = 0;

  // The slot is handed on only once the sequence id is back in the context's pool: sequence
  // disposal is asynchronous (it waits for the context lock while other sequences decode).
  const finish = async (): Promise<void> => {
    job.signal.removeEventListener('abort', onAbort);
    try {
      dispose();
      await job.sequence.dispose();
    } catch (err) {
      job.log.warn({ err: (err as Error).message }, 'disposing a llama.cpp sequence failed');
    }
    job.release();
  };

  const settle = async (): Promise<void> => {
    let outcome: { stopReason: Stop; toolCalls?: ToolCall[] } | { err: unknown };
    try {
      outcome = await generate({
        signal: stop.signal,
        onTextChunk: (text) => {
          if (text) channel.push({ type: 'text', text });
        },
        onToken: (tokens) => {
          completionTokens += tokens.length;
        },
      });
    } catch (err) {
      outcome = { err };
    }
    // onToken skips tokens spent on function calls; the sequence's meter counts every one.
    completionTokens = Math.max(completionTokens, job.sequence.tokenMeter.usedOutputTokens);
    // `done` goes out after the slot is free, so a client that saw it may send the next request.
    await finish();
    if ('err' in outcome) {
      const message = (outcome.err as Error)?.message ?? String(outcome.err);
      job.log.error({ err: message }, 'llama.cpp generation failed');
      const cause = outcome.err;
      channel.fail(
        new UpstreamError(`the embedded model failed while generating: ${message}`, 502, { cause }),
      );
    } else if (stop.signal.aborted || outcome.stopReason === 'abort') {
      job.log.info({ completionTokens }, 'generation stopped: the caller went away');
      channel.end();
    } else {
      if (outcome.toolCalls?.length) channel.push({ type: 'tool_calls', calls: outcome.toolCalls });
      channel.push({
        type: 'done',
        finishReason: finishReasonOf(outcome.stopReason),
        usage: { promptTokens: job.promptTokens, completionTokens },
      });
      channel.end();
    }
  };
  void settle();
  return channel;
}

/** Starts a chat generation with the model's own chat template. */
export function startChat(
  job: GenerationJob,
  chatWrapper: ChatWrapper,
  history: ChatHistoryItem[],
  functions: ChatModelFunctions | undefined,
): AsyncIterable<ChatEvent> {
  const chat = new LlamaChat({ contextSequence: job.sequence, chatWrapper });
  // node-llama-cpp takes either a grammar or functions; toFunctions rejects asking for both.
  const constraint = functions
    ? { functions, documentFunctionParams: true }
    : job.grammar
      ? { grammar: job.grammar }
      : {};
  return runJob(
    job,
    async (hooks) => {
      const res = await chat.generateResponse(history, {
        ...job.sampling,
        ...constraint,
        maxTokens: job.maxTokens,
        signal: hooks.signal,
        stopOnAbortSignal: true,
        onTextChunk: hooks.onTextChunk,
        onToken: hooks.onToken,
      });
      const calls = res.functionCalls ?? [];
      return {
        stopReason: res.metadata.stopReason,
        ...(calls.length ? { toolCalls: toToolCalls(calls) } : {}),
      };
    },
    () => chat.dispose({ disposeSequence: false }),
  );
}

/** Starts a raw prompt completion (no chat template). */
export function startCompletion(job: GenerationJob, prompt: string): AsyncIterable<ChatEvent> {
  const completion = new LlamaCompletion({ contextSequence: job.sequence });
  return runJob(
    job,
    async (hooks) => {
      const res = await completion.generateCompletionWithMeta(prompt, {
        ...job.sampling,
        ...(job.grammar ? { grammar: job.grammar } : {}),
        maxTokens: job.maxTokens,
        signal: hooks.signal,
        stopOnAbortSignal: true,
        onTextChunk: hooks.onTextChunk,
        onToken: hooks.onToken,
      });
      return { stopReason: res.metadata.stopReason };
    },
    () => completion.dispose({ disposeSequence: false }),
  );
}
