import { UpstreamError } from '../../errors/errors.js';
import type { ChatEvent, FinishReason, ToolCall, Usage } from '../../inference/types.js';
import type { UpstreamLabel } from '../shared/errors.js';
import { upstreamErrorMessage } from '../shared/errors.js';
import { newToolCallId } from '../shared/ids.js';
import type { SseEvent } from '../shared/sse.js';

/**
 * `/chat/completions` carries text in `delta.content`/`message.content`, `/completions` in
 * `text`.
 */
export type OpenAIKind = 'chat' | 'completion';

interface WireToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface WireChoice {
  index?: number;
  delta?: { content?: string | null; tool_calls?: WireToolCall[] | null };
  message?: { content?: string | null; tool_calls?: WireToolCall[] | null };
  text?: string;
  finish_reason?: string | null;
}

interface WireChunk {
  choices?: WireChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
}

/** `length` and tool calls pass through; anything else (stop, eos, content_filter) is a stop. */
function finishReason(reason: string | null | undefined, sawTools: boolean): FinishReason {
  if (reason === 'length') return 'length';
  if (sawTools || reason === 'tool_calls' || reason === 'function_call') return 'tool_calls';
  return 'stop';
}

function usageOf(chunk: WireChunk): Usage | undefined {
  if (!chunk.usage) return undefined;
  return {
    promptTokens: chunk.usage.prompt_tokens ?? 0,
    completionTokens: chunk.usage.completion_tokens ?? 0,
  };
}

function fail(label: UpstreamLabel, what: string): UpstreamError {
  return new UpstreamError(`${label.name} sent ${what}.`, 502, { detail: { url: label.url } });
}

function checkError(chunk: WireChunk, label: UpstreamLabel): void {
  if (chunk.error === undefined || chunk.error === null) return;
  const message = upstreamErrorMessage(JSON.stringify({ error: chunk.error }));
  throw new UpstreamError(`${label.name} failed while generating: ${message}`, 502, {
    detail: { upstreamError: chunk.error },
  });
}

/** Tool-call fragments of a stream, merged by `index` (arguments arrive in pieces). */
class ToolCallAccumulator {
  private readonly calls: { id: string; name: string; arguments: string }[] = [];

  add(fragments: readonly WireToolCall[]): void {
    for (const f of fragments) {
      const index = f.index ?? this.calls.length;
      let call = this.calls[index];
      if (!call) call = this.calls[index] = { id: '', name: '', arguments: '' };
      if (f.id) call.id = f.id;
      if (f.function?.name) call.name = f.function.name;
      if (f.function?.arguments) call.arguments += f.function.arguments;
    }
  }

  get size(): number {
    return this.calls.length;
  }

  /** The complete calls, once; ids are invented for servers that send none. */
  drain(): ToolCall[] {
    const out = this.calls.filter(Boolean).map((c) => ({ ...c, id: c.id || newToolCallId() }));
    this.calls.length = 0;
    return out;
  }
}

/**
 * Turns SSE events into ChatEvents as they arrive: text deltas at once, tool calls as one event
 * when the choice finishes, then `done`. `done` is held until the body ends (so the socket is back
 * in the pool first). A stream without `data: [DONE]`, or with an error event, throws; an aborted
 * call ends quietly.
 */
export async function* openaiStreamEvents(
  events: AsyncIterable<SseEvent>,
  kind: OpenAIKind,
  label: UpstreamLabel,
  signal: AbortSignal,
): AsyncGenerator<ChatEvent> {
  const tools = new ToolCallAccumulator();
  let sawTools = false;
  let reason: string | null | undefined;
  let usage: Usage = { promptTokens: 0, completionTokens: 0 };
  let finished = false;
  try {
    for await (const event of events) {
      if (finished) continue;
      if (event.data === '[DONE]') {
        finished = true;
        continue;
      }
      let chunk: WireChunk;
      try {
        chunk = JSON.parse(event.data) as WireChunk;
      } catch {
        throw fail(label, `an event that is not JSON: ${event.data.slice(0, 200)}`);
      }
      checkError(chunk, label);
      usage = usageOf(chunk) ?? usage;
      const choice = chunk.choices?.[0];
      if (!choice || (choice.index ?? 0) !== 0) continue;
      const text = kind === 'chat' ? choice.delta?.content : choice.text;
      if (text) yield { type: 'text', text };
      const fragments = choice.delta?.tool_calls;
      if (fragments && fragments.length > 0) tools.add(fragments);
      if (choice.finish_reason) {
        reason = choice.finish_reason;
        if (tools.size > 0) {
          sawTools = true;
          yield { type: 'tool_calls', calls: tools.drain() };
        }
      }
    }
  } catch (err) {
    if (!finished) throw err;
  }
  if (signal.aborted) return;
  if (!finished) throw fail(label, 'an incomplete answer (the stream ended without data: [DONE])');
  if (tools.size > 0) {
    sawTools = true;
    yield { type: 'tool_calls', calls: tools.drain() };
  }
  yield { type: 'done', finishReason: finishReason(reason, sawTools), usage };
}

/** The events of a non-streamed reply. */
export function openaiObjectEvents(
  reply: unknown,
  kind: OpenAIKind,
  label: UpstreamLabel,
): ChatEvent[] {
  if (!reply || typeof reply !== 'object') throw fail(label, 'a reply that is not a JSON object');
  const chunk = reply as WireChunk;
  checkError(chunk, label);
  const choice = chunk.choices?.[0];
  if (!choice) throw fail(label, 'a reply without choices');
  const out: ChatEvent[] = [];
  const text = kind === 'chat' ? choice.message?.content : choice.text;
  if (text) out.push({ type: 'text', text });
  const calls = choice.message?.tool_calls ?? [];
  if (calls.length > 0) {
    const acc = new ToolCallAccumulator();
    acc.add(calls.map((c, index) => ({ ...c, index })));
    out.push({ type: 'tool_calls', calls: acc.drain() });
  }
  out.push({
    type: 'done',
    finishReason: finishReason(choice.finish_reason, calls.length > 0),
    usage: usageOf(chunk) ?? { promptTokens: 0, completionTokens: 0 },
  });
  return out;
}
