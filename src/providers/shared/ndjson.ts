const NEWLINE = 0x0a;
/** Far above any line Ollama sends (a token, or a final line with tool calls). */
const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

/** A line went on past the splitter's limit without a newline. */
export class LineTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`a line longer than ${limit} bytes`);
  }
}

/**
 * Splits a byte stream into lines, synchronously, one read at a time. Lines are decoded only once
 * complete: `\n` never occurs inside a multi-byte UTF-8 sequence, so a character split across
 * reads is reassembled byte-wise before decoding. Blank lines are skipped; a trailing `\r` is
 * dropped. A stream reader calls it inside its own loop, so splitting adds no async stage (and
 * its promises) to every streamed event.
 */
export class LineSplitter {
  /** Reads that hold the start of a line whose `\n` has not come yet. */
  private parts: Buffer[] = [];
  private size = 0;

  /** `maxLineBytes`: a longer line fails with LineTooLongError instead of growing without end. */
  constructor(private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  /** The complete lines that `chunk` finishes, in order. */
  *push(chunk: Buffer): Generator<string> {
    let start = 0;
    let end = chunk.indexOf(NEWLINE);
    if (end !== -1 && this.parts.length > 0) {
      // The pieces of a long line are joined once, when its end arrives.
      const line = Buffer.concat([...this.parts, chunk.subarray(0, end)]);
      this.parts = [];
      this.size = 0;
      const text = decodeLine(line, 0, line.length);
      if (text) yield text;
      start = end + 1;
      end = chunk.indexOf(NEWLINE, start);
    }
    while (end !== -1) {
      const text = decodeLine(chunk, start, end);
      if (text) yield text;
      start = end + 1;
      end = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      this.size += chunk.length - start;
      if (this.size > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes);
      this.parts.push(start === 0 ? chunk : chunk.subarray(start));
    }
  }

  /** A final line without `\n`, once the input has ended. */
  end(): string | undefined {
    const rest = Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    return rest.length > 0 ? decodeLine(rest, 0, rest.length) || undefined : undefined;
  }
}

function decodeLine(data: Buffer, start: number, end: number): string {
  if (end > start && data[end - 1] === 0x0d) end--;
  if (end === start) return '';
  return data.toString('utf8', start, end);
}
