import { UpstreamError } from '../../errors/errors.js';
import type { ChatEvent, FinishReason, ToolCall } from '../../inference/types.js';
import type { UpstreamLabel } from '../shared/errors.js';
import { newToolCallId } from '../shared/ids.js';
import { LineSplitter, LineTooLongError } from '../shared/ndjson.js';

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
  prompt_eval_count?: number;
  eval_count?: number;
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
    if (line.error !== undefined) {
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
      this.sawTools = true;
      out.push({ type: 'tool_calls', calls: calls.map(toToolCall) });
    }
    if (line.done !== true) return undefined;
    return {
      type: 'done',
      finishReason: this.finishReason(line.done_reason),
      usage: { promptTokens: line.prompt_eval_count ?? 0, completionTokens: line.eval_count ?? 0 },
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
 * Turns an NDJSON body (its raw reads) into ChatEvents as lines complete. The `done` event is held
 * back until the body has ended, so the connection is back in the pool before the caller sees the
 * end. A stream that stops without `done:true`, or carries an `{"error":...}` line, throws; an
 * aborted call ends quietly with no `done`.
 */
export async function* ollamaStreamEvents(
  chunks: AsyncIterable<Buffer>,
  kind: OllamaKind,
  label: UpstreamLabel,
  signal: AbortSignal,
): AsyncGenerator<ChatEvent> {
  const state = new AnswerState(kind, label);
  const splitter = new LineSplitter();
  const out: ChatEvent[] = [];
  let done: ChatEvent | undefined;
  /** The events of one line (none once the answer is done). */
  const take = (line: string): ChatEvent[] => {
    out.length = 0;
    if (done) return out;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw state.fail(`a line that is not JSON: ${line.slice(0, 200)}`);
    }
    done = state.interpret(parsed, out);
    return out;
  };
  try {
    try {
      for await (const chunk of chunks) {
        for (const line of splitter.push(chunk)) yield* take(line);
      }
    } catch (err) {
      if (err instanceof LineTooLongError) throw state.fail(err.message);
      throw err;
    }
    const last = splitter.end();
    if (last) yield* take(last);
  } catch (err) {
    // After `done` the answer is complete; a slow close of the body does not undo it.
    if (!done) throw err;
  }
  if (signal.aborted) return;
  if (!done) throw state.fail('an incomplete answer (the stream ended without "done": true)');
  yield done;
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
