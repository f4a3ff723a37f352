import { UpstreamError } from '../errors/errors.js';
import type { ChatEvent, FinishReason, ToolCall, Usage } from '../inference/types.js';

export const UNFINISHED = 'the model server ended the answer without finishing it';

export interface CollectedGeneration {
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** Text and tool-call events received: a fallback measure when the usage says 0. */
  produced: number;
}

/** Drains a generation for non-streaming answers. A stream without `done` is an upstream fault. */
export async function collect(events: AsyncIterable<ChatEvent>): Promise<CollectedGeneration> {
  let text = '';
  const toolCalls: ToolCall[] = [];
  let produced = 0;
  for await (const event of events) {
    if (event.type === 'done') {
      return { text, toolCalls, finishReason: event.finishReason, usage: event.usage, produced };
    }
    produced++;
    if (event.type === 'text') text += event.text;
    else toolCalls.push(...event.calls);
  }
  throw new UpstreamError(UNFINISHED);
}
