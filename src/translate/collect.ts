import { UpstreamError } from '../errors/errors.js';
import type { ChatEvent, FinishReason, ToolCall, Usage } from '../inference/types.js';

export const UNFINISHED = 'the model server ended the answer without finishing it';

export interface CollectedGeneration {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
}

/** Drains a generation for non-streaming answers. A stream without `done` is an upstream fault. */
export async function collect(events: AsyncIterable<ChatEvent>): Promise<CollectedGeneration> {
  let text = '';
  const toolCalls: ToolCall[] = [];
  for await (const event of events) {
    if (event.type === 'text') text += event.text;
    else if (event.type === 'tool_calls') toolCalls.push(...event.calls);
    else return { text, toolCalls, finishReason: event.finishReason, usage: event.usage };
  }
  throw new UpstreamError(UNFINISHED);
}
