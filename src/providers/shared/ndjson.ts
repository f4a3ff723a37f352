const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines, synchronously, one read at a time. Lines are decoded only once
 * complete: `\n` never occurs inside a multi-byte UTF-8 sequence, so a character split across
 * reads is reassembled byte-wise before decoding. Blank lines are skipped; a trailing `\r` is
 * dropped. A stream reader calls it inside its own loop, so splitting adds no async stage (and
 * its promises) to every streamed event.
 */
export class LineSplitter {
  private pending: Buffer | undefined;

  /** The complete lines that `chunk` finishes, in order. */
  *push(chunk: Buffer): Generator<string> {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let start = 0;
    let end = data.indexOf(NEWLINE, start);
    while (end !== -1) {
      const line = decodeLine(data, start, end);
      if (line) yield line;
      start = end + 1;
      end = data.indexOf(NEWLINE, start);
    }
    if (start < data.length) this.pending = start === 0 ? data : data.subarray(start);
  }

  /** A final line without `\n`, once the input has ended. */
  end(): string | undefined {
    const rest = this.pending;
    this.pending = undefined;
    return rest ? decodeLine(rest, 0, rest.length) || undefined : undefined;
  }
}

/** The lines of a byte stream, as LineSplitter cuts them. */
export async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const splitter = new LineSplitter();
  for await (const chunk of chunks) yield* splitter.push(chunk);
  const last = splitter.end();
  if (last) yield last;
}

function decodeLine(data: Buffer, start: number, end: number): string {
  if (end > start && data[end - 1] === 0x0d) end--;
  if (end === start) return '';
  return data.toString('utf8', start, end);
}
