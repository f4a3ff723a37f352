const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines. Lines are decoded only once complete: `\n` never occurs inside
 * a multi-byte UTF-8 sequence, so a character split across reads is reassembled byte-wise before
 * decoding. Several lines in one read are yielded one by one; blank lines are skipped; a trailing
 * `\r` is dropped. A final line without `\n` is yielded when the input ends.
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let pending: Buffer | undefined;
  for await (const chunk of chunks) {
    let data = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    let start = 0;
    let end = data.indexOf(NEWLINE, start);
    while (end !== -1) {
      const line = decodeLine(data, start, end);
      if (line) yield line;
      start = end + 1;
      end = data.indexOf(NEWLINE, start);
    }
    if (start < data.length) pending = start === 0 ? data : data.subarray(start);
    data = Buffer.alloc(0);
  }
  if (pending) {
    const line = decodeLine(pending, 0, pending.length);
    if (line) yield line;
  }
}

function decodeLine(data: Buffer, start: number, end: number): string {
  if (end > start && data[end - 1] === 0x0d) end--;
  if (end === start) return '';
  return data.toString('utf8', start, end);
}
