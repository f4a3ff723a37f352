import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitLines } from '../../src/providers/shared/ndjson.js';
import { parseSse } from '../../src/providers/shared/sse.js';

async function* chunksOf(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Every way to cut `data` into two or three pieces. */
function* cuts(data: Buffer): Generator<Buffer[]> {
  for (let i = 0; i <= data.length; i++) {
    for (let j = i; j <= data.length; j += 3) {
      yield [data.subarray(0, i), data.subarray(i, j), data.subarray(j)];
    }
  }
}

describe('NDJSON line splitter', () => {
  const text = '{"a":"é👋"}\n{"b":"日本"}\r\n\n{"c":1}\n';
  const expected = ['{"a":"é👋"}', '{"b":"日本"}', '{"c":1}'];

  it('yields the same lines however the bytes are cut, even inside characters', async () => {
    for (const parts of cuts(Buffer.from(text))) {
      assert.deepEqual(await all(splitLines(chunksOf(...parts))), expected);
    }
  });

  it('yields a final line without a newline when the input ends', async () => {
    assert.deepEqual(await all(splitLines(chunksOf('{"a":1}\n{"b"', ':2}'))), [
      '{"a":1}',
      '{"b":2}',
    ]);
  });

  it('yields lines as soon as they are complete', async () => {
    let released = false;
    async function* slow() {
      yield Buffer.from('{"first":1}\n{"sec');
      await new Promise((r) => setTimeout(r, 50));
      released = true;
      yield Buffer.from('ond":2}\n');
    }
    const it = splitLines(slow())[Symbol.asyncIterator]();
    assert.equal((await it.next()).value, '{"first":1}');
    assert.equal(released, false);
    assert.equal((await it.next()).value, '{"second":2}');
  });
});

describe('SSE parser', () => {
  const stream =
    ': keep-alive comment\n' +
    'data: {"x":"é👋"}\n\n' +
    'event: update\r\ndata: line one\r\ndata: line two\r\n\r\n' +
    'data:no-space\r\rdata: [DONE]\n\n';
  const expected = [
    { event: 'message', data: '{"x":"é👋"}' },
    { event: 'update', data: 'line one\nline two' },
    { event: 'message', data: 'no-space' },
    { event: 'message', data: '[DONE]' },
  ];

  it('parses the same events however the bytes are cut (CRLF and multi-byte included)', async () => {
    for (const parts of cuts(Buffer.from(stream))) {
      assert.deepEqual(await all(parseSse(chunksOf(...parts))), expected);
    }
  });

  it('keeps the last event when the stream ends without a blank line', async () => {
    assert.deepEqual(await all(parseSse(chunksOf('data: a\n\ndata: b'))), [
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
    ]);
  });
});
