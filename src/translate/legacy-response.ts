import { randomUUID } from 'node:crypto';
import type { FinishReason, ToolCall, Usage } from '../inference/types.js';
import { argumentsToObject } from './content.js';
import type { CollectedGeneration } from './collect.js';
import type { StreamEncoder } from './stream-encoder.js';

type StopReason = 'end_of_turn' | 'end_of_message' | 'out_of_tokens';

/** Ollama's `length` is out_of_tokens; a turn that hands over to tools is end_of_message. */
export function stopReason(reason: FinishReason, hadToolCalls: boolean): StopReason {
  if (reason === 'length') return 'out_of_tokens';
  return hadToolCalls || reason === 'tool_calls' ? 'end_of_message' : 'end_of_turn';
}

export function metrics(u: Usage) {
  return [
    { metric: 'prompt_tokens', value: u.promptTokens, unit: null },
    { metric: 'completion_tokens', value: u.completionTokens, unit: null },
    { metric: 'total_tokens', value: u.promptTokens + u.completionTokens, unit: null },
  ];
}

function legacyToolCall(c: ToolCall) {
  return {
    call_id: c.id || randomUUID(),
    tool_name: c.name,
    arguments: argumentsToObject(c.arguments),
    arguments_json: c.arguments,
  };
}

/** Llama Stack 0.2.x `ChatCompletionResponse`. */
export function legacyChatBody(gen: CollectedGeneration) {
  const calls = gen.toolCalls.map(legacyToolCall);
  return {
    metrics: metrics(gen.usage),
    completion_message: {
      role: 'assistant',
      content: calls.length > 0 ? '' : gen.text,
      stop_reason: stopReason(gen.finishReason, calls.length > 0),
      tool_calls: calls,
    },
    logprobs: null,
  };
}

export function legacyCompletionBody(gen: CollectedGeneration) {
  return {
    metrics: metrics(gen.usage),
    content: gen.text,
    stop_reason: stopReason(gen.finishReason, false),
    logprobs: null,
  };
}

function event(eventType: string, delta: object, stop: StopReason | null, usage?: Usage) {
  return JSON.stringify({
    metrics: usage ? metrics(usage) : null,
    event: { event_type: eventType, delta, logprobs: null, stop_reason: stop },
  });
}

/** Chat events → the 0.2.x SSE sequence: start, progress..., complete (with metrics). */
export function legacyChatEncoder(): StreamEncoder {
  let hadCalls = false;
  return {
    opening: () => [event('start', { type: 'text', text: '' }, null)],
    encode(e) {
      if (e.type === 'text') return [event('progress', { type: 'text', text: e.text }, null)];
      if (e.type === 'tool_calls') {
        hadCalls = true;
        return e.calls.map((call) => {
          const delta = {
            type: 'tool_call',
            tool_call: legacyToolCall(call),
            parse_status: 'succeeded',
          };
          return event('progress', delta, null);
        });
      }
      const stop = stopReason(e.finishReason, hadCalls);
      return [event('complete', { type: 'text', text: '' }, stop, e.usage)];
    },
  };
}

export function legacyCompletionEncoder(): StreamEncoder {
  return {
    opening: () => [],
    encode(e) {
      if (e.type === 'text') {
        return [
          JSON.stringify({ metrics: null, delta: e.text, stop_reason: null, logprobs: null }),
        ];
      }
      if (e.type !== 'done') return [];
      const stop = stopReason(e.finishReason, false);
      const last = { metrics: metrics(e.usage), delta: '', stop_reason: stop, logprobs: null };
      return [JSON.stringify(last)];
    },
  };
}
