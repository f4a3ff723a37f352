/** One server-sent event: its `event:` name (default `message`) and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/** Far above any event an OpenAI-compatible server sends (a token, or a tool call's arguments). */
const DEFAULT_MAX_CHARS = 8 * 1024 * 1024;

/** A line, or the data of one event, went on past the parser's limit. */
export class SseTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`an event longer than ${limit} characters`);
  }
}

/**
 * Parses a text/event-stream byte stream incrementally and synchronously, one read at a time
 * (WHATWG HTML §9.2.6): lines end with CRLF, LF or CR, even when the terminator is split across
 * reads; `data:` lines of one event are joined with `\n`; a blank line dispatches; comments and
 * unknown fields are ignored. Bytes are decoded with a streaming decoder so multi-byte characters
 * may be split anywhere. A line spanning many reads is joined once, when it ends. A line, or the
 * joined data of one event, longer than `maxChars` fails with SseTooLongError instead of growing
 * without end.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  /** Pieces of a line whose line break has not come yet, joined once when it comes. */
  private parts: string[] = [];
  private pending = 0;
  private skipLeadingLf = false;
  private data: string[] = [];
  private dataChars = 0;
  private event = '';

  constructor(private readonly maxChars = DEFAULT_MAX_CHARS) {}

  /** Appends the events that `chunk` completes to `out`. */
  push(chunk: Buffer, out: SseEvent[]): void {
    this.feed(this.decoder.decode(chunk, { stream: true }), out);
  }

  /** Appends what the end of the input completes: a last line, a last undispatched event. */
  end(out: SseEvent[]): void {
    this.feed(this.decoder.decode(), out);
    if (this.parts.length > 0) this.line(this.takeLine(''), out);
    // A stream that ends without the blank line still carries its last event.
    if (this.data.length > 0) {
      out.push({ event: this.event || 'message', data: this.data.join('\n') });
      this.data = [];
      this.dataChars = 0;
    }
  }

  private feed(text: string, out: SseEvent[]): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      if (this.skipLeadingLf && c === 0x0a && i === start && this.parts.length === 0) {
        this.skipLeadingLf = false;
        start = i + 1;
        continue;
      }
      this.skipLeadingLf = c === 0x0d;
      this.line(this.takeLine(text.slice(start, i)), out);
      start = i + 1;
    }
    if (start < text.length) {
      this.skipLeadingLf = false;
      this.pending += text.length - start;
      if (this.pending > this.maxChars) throw new SseTooLongError(this.maxChars);
      this.parts.push(start === 0 ? text : text.slice(start));
    }
  }

  private takeLine(last: string): string {
    if (this.parts.length === 0) return last;
    this.parts.push(last);
    const line = this.parts.join('');
    this.parts = [];
    this.pending = 0;
    return line;
  }

  private line(text: string, out: SseEvent[]): void {
    if (text === '') {
      if (this.data.length > 0) {
        out.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.data = [];
        this.dataChars = 0;
      }
      this.event = '';
      return;
    }
    if (text.charCodeAt(0) === 0x3a) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === 'data') {
      this.dataChars += value.length + 1;
      if (this.dataChars > this.maxChars) throw new SseTooLongError(this.maxChars);
      this.data.push(value);
    } else if (field === 'event') this.event = value;
  }
}
