import { randomUUID } from 'node:crypto';
import type { FinishReason, ToolCall, Usage } from '../inference/types.js';
import type { CollectedGeneration } from './collect.js';
import type { StreamEncoder } from './stream-encoder.js';

function usageBody(u: Usage) {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
  };
}

function toolCallsBody(calls: ToolCall[]) {
  return calls.map((c) => ({
    id: c.id,
    type: 'function' as const,
    function: { name: c.name, arguments: c.arguments },
  }));
}

/** OpenAI reports tool calls as finish_reason `tool_calls` whatever the upstream called it. */
function finishReason(reason: FinishReason, hadToolCalls: boolean): FinishReason {
  return hadToolCalls && reason === 'stop' ? 'tool_calls' : reason;
}

export function chatCompletionBody(model: string, gen: CollectedGeneration) {
  const hasCalls = gen.toolCalls.length > 0;
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: hasCalls && gen.text === '' ? null : gen.text,
          refusal: null,
          ...(hasCalls ? { tool_calls: toolCallsBody(gen.toolCalls) } : {}),
        },
        finish_reason: finishReason(gen.finishReason, hasCalls),
        logprobs: null,
      },
    ],
    usage: usageBody(gen.usage),
  };
}

export function textCompletionBody(model: string, gen: CollectedGeneration) {
  return {
    id: `cmpl-${randomUUID()}`,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, text: gen.text, finish_reason: gen.finishReason, logprobs: null }],
    usage: usageBody(gen.usage),
  };
}

export interface StreamOptions {
  model: string;
  includeUsage: boolean;
}

/**
 * Chat events → OpenAI `chat.completion.chunk` payloads. `finish_reason` stays null until the
 * final chunk; usage comes last when asked for.
 */
export function chatCompletionEncoder(options: StreamOptions): StreamEncoder {
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const usageField = options.includeUsage ? { usage: null } : {};
  const chunk = (delta: object, finish: FinishReason | null) =>
    JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model: options.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      ...usageField,
    });
  let toolIndex = 0;
  return {
    opening: () => [chunk({ role: 'assistant', content: '' }, null)],
    encode(event) {
      if (event.type === 'text') return [chunk({ content: event.text }, null)];
      if (event.type === 'tool_calls') {
        const calls = toolCallsBody(event.calls).map((c) => ({ index: toolIndex++, ...c }));
        return [chunk({ tool_calls: calls }, null)];
      }
      const last = chunk({}, finishReason(event.finishReason, toolIndex > 0));
      if (!options.includeUsage) return [last];
      const usage = JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: options.model,
        choices: [],
        usage: usageBody(event.usage),
      });
      return [last, usage];
    },
  };
}

export function textCompletionEncoder(options: StreamOptions): StreamEncoder {
  const id = `cmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, object: 'text_completion', created, model: options.model };
  const usageField = options.includeUsage ? { usage: null } : {};
  const chunk = (text: string, finish: FinishReason | null) =>
    JSON.stringify({
      ...head,
      choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
      ...usageField,
    });
  return {
    opening: () => [],
    encode(event) {
      if (event.type === 'text') return [chunk(event.text, null)];
      if (event.type !== 'done') return [];
      const last = chunk('', event.finishReason);
      // As for chat: usage comes in one more chunk whose `choices` is empty.
      if (!options.includeUsage) return [last];
      return [last, JSON.stringify({ ...head, choices: [], usage: usageBody(event.usage) })];
    },
  };
}

export function embeddingsBody(
  model: string,
  vectors: number[][],
  promptTokens: number,
  encoding: 'float' | 'base64',
) {
  return {
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding:
        encoding === 'float' ? v : Buffer.from(new Float32Array(v).buffer).toString('base64'),
    })),
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
