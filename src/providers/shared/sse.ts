/** One server-sent event: its `event:` name (default `message`) and its joined `data:` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Parses a text/event-stream byte stream incrementally (WHATWG HTML §9.2.6): lines end with
 * CRLF, LF or CR, even when the terminator is split across reads; `data:` lines of one event are
 * joined with `\n`; a blank line dispatches; comments and unknown fields are ignored. Bytes are
 * decoded with a streaming decoder so multi-byte characters may be split anywhere.
 */
export async function* parseSse(chunks: AsyncIterable<Buffer>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let skipLeadingLf = false;
  let data: string[] = [];
  let event = '';

  function* feed(text: string, final: boolean): Generator<SseEvent> {
    buffer += text;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      if (skipLeadingLf && c === 0x0a && i === start) {
        skipLeadingLf = false;
        start = i + 1;
        continue;
      }
      skipLeadingLf = c === 0x0d;
      const dispatched = line(buffer.slice(start, i));
      if (dispatched) yield dispatched;
      start = i + 1;
    }
    if (skipLeadingLf && start < buffer.length) skipLeadingLf = false;
    buffer = buffer.slice(start);
    if (final && buffer) {
      const dispatched = line(buffer);
      buffer = '';
      if (dispatched) yield dispatched;
    }
  }

  function line(text: string): SseEvent | undefined {
    if (text === '') {
      if (data.length === 0) return ((event = ''), undefined);
      const out = { event: event || 'message', data: data.join('\n') };
      data = [];
      event = '';
      return out;
    }
    if (text.charCodeAt(0) === 0x3a) return undefined;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    return undefined;
  }

  for await (const chunk of chunks) yield* feed(decoder.decode(chunk, { stream: true }), false);
  yield* feed(decoder.decode(), true);
  // A stream that ends without the blank line still carries its last event.
  if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
}
