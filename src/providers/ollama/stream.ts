import type { Readable } from 'node:stream';
import { UpstreamError } from '../../errors/errors.js';
import type { ChatEvent, FinishReason, ToolCall } from '../../inference/types.js';
import { BodyEvents } from '../shared/body-events.js';
import type { BodyDecoder } from '../shared/body-events.js';
import type { UpstreamTimeouts } from '../shared/config.js';
import type { UpstreamLabel } from '../shared/errors.js';
import { newToolCallId } from '../shared/ids.js';
import { LineSplitter, LineTooLongError } from '../shared/ndjson.js';
import { tokenCount } from '../shared/usage.js';

/**
 * Which endpoint produced the lines: `/api/chat` (text in `message`) or `/api/generate`
 * (`response`).
 */
export type OllamaKind = 'chat' | 'generate';

interface OllamaToolCall {
  id?: string;
  function?: { name?: string; arguments?: unknown };
}

interface OllamaLine {
  message?: { content?: string; tool_calls?: OllamaToolCall[] | null };
  response?: string;
  tool_calls?: OllamaToolCall[] | null;
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: unknown;
  eval_count?: unknown;
  error?: unknown;
}

/** State carried across the lines of one answer. */
class AnswerState {
  sawTools = false;

  constructor(
    private readonly kind: OllamaKind,
    private readonly label: UpstreamLabel,
  ) {}

  /** Appends the events of one NDJSON line (or of a whole non-stream reply) to `out`. */
  interpret(raw: unknown, out: ChatEvent[]): ChatEvent | undefined {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw this.fail('a line that is not a JSON object');
    }
    const line = raw as OllamaLine;
    if (line.error !== undefined && line.error !== null) {
      throw new UpstreamError(
        `${this.label.name} failed while generating: ${errorText(line.error)}`,
        502,
        { detail: { upstreamError: line.error } },
      );
    }
    // TODO(ollama): `thinking` deltas of reasoning models are dropped; ChatEvent has no slot for
    // them.
    const text: unknown = this.kind === 'chat' ? line.message?.content : line.response;
    if (text !== undefined && text !== null && typeof text !== 'string') {
      throw this.fail('text that is not a string');
    }
    if (text) out.push({ type: 'text', text });
    const calls: unknown = this.kind === 'chat' ? line.message?.tool_calls : line.tool_calls;
    if (calls !== undefined && calls !== null && !Array.isArray(calls)) {
      throw this.fail('tool calls that are not a list');
    }
    if (Array.isArray(calls) && calls.length > 0) {
      if (!calls.every((c) => c !== null && typeof c === 'object' && !Array.isArray(c))) {
        throw this.fail('tool calls that are not objects');
      }
      this.sawTools = true;
      out.push({ type: 'tool_calls', calls: calls.map(toToolCall) });
    }
    if (line.done !== true) return undefined;
    return {
      type: 'done',
      finishReason: this.finishReason(line.done_reason),
      usage: {
        promptTokens: tokenCount(line.prompt_eval_count),
        completionTokens: tokenCount(line.eval_count),
      },
    };
  }

  fail(what: string): UpstreamError {
    return new UpstreamError(`${this.label.name} sent ${what}.`, 502, {
      detail: { url: this.label.url },
    });
  }

  /** `load`/`unload`/absent mean a normal end; Ollama itself reports tool calls as `stop`. */
  private finishReason(doneReason: string | undefined): FinishReason {
    if (doneReason === 'length') return 'length';
    return this.sawTools ? 'tool_calls' : 'stop';
  }
}

/** An `error` field as readable text, whatever its JSON type. */
function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : JSON.stringify(error);
}

function toToolCall(call: OllamaToolCall): ToolCall {
  const args = call.function?.arguments;
  return {
    id: call.id || newToolCallId(),
    name: call.function?.name ?? '',
    arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
  };
}

/**
 * Decodes an NDJSON body into ChatEvents as lines complete. The `done` event is held back until
 * the body has ended, so the connection is back in the pool before the caller sees the end. A
 * body that stops without `done:true`, or carries an `{"error":...}` line, fails.
 */
class OllamaLineDecoder implements BodyDecoder<ChatEvent> {
  private readonly state: AnswerState;
  private readonly splitter = new LineSplitter();
  private done: ChatEvent | undefined;
  private first = true;

  constructor(kind: OllamaKind, label: UpstreamLabel) {
    this.state = new AnswerState(kind, label);
  }

  push(chunk: Buffer, out: ChatEvent[]): void {
    try {
      for (const line of this.splitter.push(chunk)) this.take(line, out);
    } catch (err) {
      if (err instanceof LineTooLongError) throw this.state.fail(err.message);
      throw err;
    }
  }

  end(out: ChatEvent[]): void {
    const last = this.splitter.end();
    if (last) this.take(last, out);
    if (!this.done) {
      throw this.state.fail('an incomplete answer (the stream ended without "done": true)');
    }
    out.push(this.done);
  }

  interrupted(out: ChatEvent[]): boolean {
    if (this.done) out.push(this.done);
    return this.done !== undefined;
  }

  get complete(): boolean {
    return this.done !== undefined;
  }

  private take(line: string, out: ChatEvent[]): void {
    if (this.done) return;
    if (this.first) {
      this.first = false;
      // A byte-order mark some proxies put in front of a body is not part of the first line.
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw this.state.fail(`a line that is not JSON: ${line.slice(0, 200)}`);
    }
    this.done = this.state.interpret(parsed, out);
  }
}

/**
 * The events of a streamed Ollama answer, read from its body as it arrives (see BodyEvents for
 * timeouts, backpressure and cancellation); an aborted call ends quietly with no `done`.
 */
export function ollamaStreamEvents(
  body: Readable,
  kind: OllamaKind,
  label: UpstreamLabel,
  timeouts: UpstreamTimeouts,
  signal: AbortSignal,
): AsyncIterableIterator<ChatEvent> {
  return new BodyEvents(body, new OllamaLineDecoder(kind, label), timeouts, label, signal);
}

/** The events of a `stream: false` reply, which is one object shaped like the final line. */
export function ollamaObjectEvents(
  reply: unknown,
  kind: OllamaKind,
  label: UpstreamLabel,
): ChatEvent[] {
  const state = new AnswerState(kind, label);
  const out: ChatEvent[] = [];
  const done = state.interpret(reply, out);
  if (!done) throw state.fail('a reply without "done": true');
  out.push(done);
  return out;
}
