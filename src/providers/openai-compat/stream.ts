import type { Readable } from 'node:stream';
import { UpstreamError } from '../../errors/errors.js';
import type { ChatEvent, FinishReason, ToolCall, Usage } from '../../inference/types.js';
import { BodyEvents } from '../shared/body-events.js';
import type { BodyDecoder } from '../shared/body-events.js';
import type { UpstreamTimeouts } from '../shared/config.js';
import type { UpstreamLabel } from '../shared/errors.js';
import { upstreamErrorMessage } from '../shared/errors.js';
import { newToolCallId } from '../shared/ids.js';
import { tokenCount } from '../shared/usage.js';
import { SseTooLongError, SseParser } from '../shared/sse.js';
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
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null;
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
    promptTokens: tokenCount(chunk.usage.prompt_tokens),
    completionTokens: tokenCount(chunk.usage.completion_tokens),
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

/** More tool calls in one answer than any model makes; a bound on what a fragment index claims. */
const MAX_TOOL_CALLS = 128;
/** As for one SSE event: far above real tool-call arguments, a bound on what is held for them. */
const MAX_TOOL_CALL_CHARS = 8 * 1024 * 1024;

function isToolFragment(f: unknown): f is WireToolCall {
  if (!f || typeof f !== 'object' || Array.isArray(f)) return false;
  const { index } = f as { index?: unknown };
  return (
    index === undefined ||
    (Number.isInteger(index) && (index as number) >= 0 && (index as number) < MAX_TOOL_CALLS)
  );
}

/** Tool-call fragments of a stream, merged by `index` (arguments arrive in pieces). */
class ToolCallAccumulator {
  private readonly calls: { id: string; name: string; arguments: string }[] = [];
  /** Characters held for the calls: fragments are not events, so backpressure cannot bound them. */
  private chars = 0;

  /** False once the calls together would exceed MAX_TOOL_CALL_CHARS. */
  add(fragments: readonly WireToolCall[]): boolean {
    for (const f of fragments) {
      const index = f.index ?? this.calls.length;
      let call = this.calls[index];
      if (!call) call = this.calls[index] = { id: '', name: '', arguments: '' };
      const { id, function: fn } = f;
      const name = typeof fn?.name === 'string' ? fn.name : '';
      const args = typeof fn?.arguments === 'string' ? fn.arguments : '';
      this.chars += (typeof id === 'string' ? id.length : 0) + name.length + args.length;
      if (this.chars > MAX_TOOL_CALL_CHARS) return false;
      if (typeof id === 'string' && id) call.id = id;
      if (name) call.name = name;
      if (args) call.arguments += args;
    }
    return true;
  }

  get size(): number {
    return this.calls.length;
  }

  /** The complete calls, once; ids are invented for servers that send none. */
  drain(): ToolCall[] {
    const out = this.calls.filter(Boolean).map((c) => ({ ...c, id: c.id || newToolCallId() }));
    this.calls.length = 0;
    this.chars = 0;
    return out;
  }
}

/**
 * Decodes an SSE body into ChatEvents as events complete: text deltas at once, tool calls as one
 * event when the choice finishes, then `done`. `done` is held until the body ends (so the socket
 * is back in the pool first). A stream without `data: [DONE]`, or with an error event, fails.
 */
class OpenAIStreamDecoder implements BodyDecoder<ChatEvent> {
  private readonly sse = new SseParser();
  private readonly events: SseEvent[] = [];
  private readonly tools = new ToolCallAccumulator();
  private sawTools = false;
  private reason: string | null | undefined;
  private usage: Usage = { promptTokens: 0, completionTokens: 0 };
  private finished = false;

  constructor(
    private readonly kind: OpenAIKind,
    private readonly label: UpstreamLabel,
  ) {}

  push(chunk: Buffer, out: ChatEvent[]): void {
    this.parse(() => this.sse.push(chunk, this.events), out);
  }

  end(out: ChatEvent[]): void {
    this.parse(() => this.sse.end(this.events), out);
    if (!this.finished) {
      throw fail(this.label, 'an incomplete answer (the stream ended without data: [DONE])');
    }
    this.finishAnswer(out);
  }

  interrupted(out: ChatEvent[]): boolean {
    if (this.finished) this.finishAnswer(out);
    return this.finished;
  }

  get complete(): boolean {
    return this.finished;
  }

  private parse(read: () => void, out: ChatEvent[]): void {
    try {
      read();
    } catch (err) {
      if (err instanceof SseTooLongError) throw fail(this.label, err.message);
      throw err;
    }
    for (const event of this.events) this.take(event, out);
    this.events.length = 0;
  }

  private take(event: SseEvent, out: ChatEvent[]): void {
    if (this.finished) return;
    if (event.data === '[DONE]') {
      this.finished = true;
      return;
    }
    let chunk: WireChunk;
    try {
      chunk = JSON.parse(event.data) as WireChunk;
    } catch {
      throw fail(this.label, `an event that is not JSON: ${event.data.slice(0, 200)}`);
    }
    if (!chunk || typeof chunk !== 'object') {
      throw fail(this.label, 'an event that is not a JSON object');
    }
    checkError(chunk, this.label);
    this.usage = usageOf(chunk) ?? this.usage;
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (!choice || (choice.index ?? 0) !== 0) return;
    const text: unknown = this.kind === 'chat' ? choice.delta?.content : choice.text;
    if (text !== undefined && text !== null && typeof text !== 'string') {
      throw fail(this.label, 'text that is not a string');
    }
    if (text) out.push({ type: 'text', text });
    const fragments: unknown = choice.delta?.tool_calls;
    if (fragments !== undefined && fragments !== null && !Array.isArray(fragments)) {
      throw fail(this.label, 'tool calls that are not a list');
    }
    if (Array.isArray(fragments) && fragments.length > 0) {
      if (!fragments.every(isToolFragment)) {
        throw fail(
          this.label,
          `tool call fragments that are not objects indexed 0 to ${MAX_TOOL_CALLS - 1}`,
        );
      }
      if (!this.tools.add(fragments)) {
        throw fail(this.label, `tool call arguments longer than ${MAX_TOOL_CALL_CHARS} characters`);
      }
    }
    if (choice.finish_reason) {
      this.reason = choice.finish_reason;
      this.drainTools(out);
    }
  }

  private drainTools(out: ChatEvent[]): void {
    if (this.tools.size === 0) return;
    this.sawTools = true;
    out.push({ type: 'tool_calls', calls: this.tools.drain() });
  }

  private finishAnswer(out: ChatEvent[]): void {
    this.drainTools(out);
    const finish = finishReason(this.reason, this.sawTools);
    out.push({ type: 'done', finishReason: finish, usage: this.usage });
  }
}

/**
 * The events of a streamed answer, read from its body as it arrives (see BodyEvents for
 * timeouts, backpressure and cancellation); an aborted call ends quietly with no `done`.
 */
export function openaiStreamEvents(
  body: Readable,
  kind: OpenAIKind,
  label: UpstreamLabel,
  timeouts: UpstreamTimeouts,
  signal: AbortSignal,
): AsyncIterableIterator<ChatEvent> {
  return new BodyEvents(body, new OpenAIStreamDecoder(kind, label), timeouts, label, signal);
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
