import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { LineSplitter, LineTooLongError } from '../../src/providers/shared/ndjson.js';
import { SseTooLongError, SseParser } from '../../src/providers/shared/sse.js';
import type { SseEvent } from '../../src/providers/shared/sse.js';
import { ollamaStreamEvents } from '../../src/providers/ollama/stream.js';
import { openaiStreamEvents } from '../../src/providers/openai-compat/stream.js';
import { UpstreamError } from '../../src/errors/errors.js';

async function* chunksOf(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

/** The lines of a byte stream, as the Ollama reader cuts them with LineSplitter. */
async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  const splitter = new LineSplitter();
  for await (const chunk of chunks) yield* splitter.push(chunk);
  const last = splitter.end();
  if (last) yield last;
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

describe('NDJSON line limits', () => {
  it('a line that never ends fails at the limit instead of growing without end', () => {
    const splitter = new LineSplitter(1024);
    const piece = Buffer.from('x'.repeat(300));
    assert.deepEqual([...splitter.push(piece)], []);
    assert.deepEqual([...splitter.push(piece)], []);
    assert.deepEqual([...splitter.push(piece)], []);
    assert.throws(() => [...splitter.push(piece)], LineTooLongError);
  });

  it('a long line cut into thousands of reads comes out whole and once', () => {
    const splitter = new LineSplitter();
    const line = `{"text":"${'é'.repeat(20_000)}"}`;
    const bytes = Buffer.from(`${line}\n{"next":1}\n`);
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i += 7) out.push(...splitter.push(bytes.subarray(i, i + 7)));
    assert.deepEqual(out, [line, '{"next":1}']);
  });
});

describe('Ollama NDJSON stream', () => {
  const label = { name: 'Ollama', url: 'http://127.0.0.1:11434' } as never;
  const timeouts = { firstByteMs: 5000, idleMs: 5000, connectMs: 5000 };
  /** A body that yields `parts` as separate reads, as the upstream's socket would. */
  const bodyOf = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));
  const line = (content: string) =>
    `${JSON.stringify({ message: { role: 'assistant', content }, done: false })}\n`;

  it('delivers the text of lines read together with a failure line before failing', async () => {
    const body = bodyOf(line('one') + line('two') + '{"error":"runner crashed"}\n');
    const seen: string[] = [];
    const signal = new AbortController().signal;
    await assert.rejects(
      (async () => {
        for await (const event of ollamaStreamEvents(body, 'chat', label, timeouts, signal)) {
          if (event.type === 'text') seen.push(event.text);
        }
      })(),
      (err) => err instanceof UpstreamError && /runner crashed/.test(err.message),
    );
    assert.deepEqual(seen, ['one', 'two']);
  });

  for (const [what, raw, pattern] of [
    ['text that is not a string', { message: { content: 42 }, done: false }, /not a string/],
    ['tool calls that are not a list', { message: { tool_calls: { a: 1 } } }, /not a list/],
    ['tool calls that are not objects', { message: { tool_calls: [null] } }, /not objects/],
    ['a line that is a JSON array', [1, 2], /not a JSON object/],
    [
      'an error object',
      { error: { message: 'out of memory' } },
      /failed while generating: out of memory/,
    ],
  ] as const) {
    it(`fails the stream on ${what}`, async () => {
      const body = bodyOf(line('ok') + `${JSON.stringify(raw)}\n`);
      const signal = new AbortController().signal;
      await assert.rejects(
        all(ollamaStreamEvents(body, 'chat', label, timeouts, signal)),
        (err) => err instanceof UpstreamError && pattern.test(err.message),
      );
    });
  }

  it('reads a final line that has no newline', async () => {
    const done = JSON.stringify({ message: { content: '' }, done: true, eval_count: 2 });
    const body = bodyOf(line('hi'), done);
    const signal = new AbortController().signal;
    const events = await all(ollamaStreamEvents(body, 'chat', label, timeouts, signal));
    assert.deepEqual(
      events.map((e) => e.type),
      ['text', 'done'],
    );
  });
});

describe('Ollama NDJSON stream: lenient where nothing is lost', () => {
  const label = { name: 'Ollama', url: 'http://127.0.0.1:11434' } as never;
  const timeouts = { firstByteMs: 5000, idleMs: 5000, connectMs: 5000 };
  const signal = new AbortController().signal;
  const read = (text: string) =>
    all(ollamaStreamEvents(Readable.from([Buffer.from(text)]), 'chat', label, timeouts, signal));
  const final = (extra: object) =>
    `${JSON.stringify({ message: { content: '' }, done: true, ...extra })}\n`;

  it('token counts that are not whole numbers count as not reported instead of failing', async () => {
    const events = await read(
      `${JSON.stringify({ message: { content: 'hi' }, done: false })}\n` +
        final({ prompt_eval_count: '5', eval_count: -3 }),
    );
    assert.deepEqual(events.at(-1), {
      type: 'done',
      finishReason: 'stop',
      usage: { promptTokens: 0, completionTokens: 0 },
    });
  });

  it('a byte-order mark before the first line is not part of it', async () => {
    const events = await read(`\uFEFF${final({ eval_count: 1 })}`);
    assert.equal(events.at(-1)?.type, 'done');
  });

  it('"error": null is no error', async () => {
    const events = await read(
      `${JSON.stringify({ message: { content: 'hi' }, error: null, done: false })}\n${final({})}`,
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['text', 'done'],
    );
  });
});

/** The events of byte pieces, each fed to one SseParser as a separate read. */
function parseSse(parts: Buffer[]): SseEvent[] {
  const parser = new SseParser();
  const out: SseEvent[] = [];
  for (const part of parts) parser.push(part, out);
  parser.end(out);
  return out;
}

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

  it('parses the same events however the bytes are cut (CRLF and multi-byte included)', () => {
    for (const parts of cuts(Buffer.from(stream))) {
      assert.deepEqual(parseSse(parts), expected);
    }
  });

  it('keeps the last event when the stream ends without a blank line', () => {
    assert.deepEqual(parseSse([Buffer.from('data: a\n\ndata: b')]), [
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
    ]);
  });

  it('a line that never ends fails at the limit instead of growing without end', () => {
    const parser = new SseParser(1024);
    const out: SseEvent[] = [];
    const piece = Buffer.from(`data: ${'x'.repeat(300)}`);
    parser.push(piece, out);
    parser.push(piece, out);
    parser.push(piece, out);
    assert.throws(() => parser.push(piece, out), SseTooLongError);
    assert.deepEqual(out, []);
  });

  it('an event whose data lines never end with a blank line fails at the limit', () => {
    const parser = new SseParser(1024);
    const out: SseEvent[] = [];
    const line = Buffer.from(`data: ${'x'.repeat(200)}\n`);
    for (let i = 0; i < 5; i++) parser.push(line, out);
    assert.throws(() => parser.push(line, out), SseTooLongError);
    assert.deepEqual(out, []);
  });

  it('a long event cut into thousands of reads comes out whole and once', () => {
    const data = 'é'.repeat(20_000);
    const bytes = Buffer.from(`data: ${data}\n\ndata: next\n\n`);
    const pieces: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.subarray(i, i + 7));
    assert.deepEqual(parseSse(pieces), [
      { event: 'message', data },
      { event: 'message', data: 'next' },
    ]);
  });
});

describe('OpenAI-compatible SSE stream', () => {
  const label = { name: 'vLLM', url: 'http://127.0.0.1:8000/v1' } as never;
  const timeouts = { firstByteMs: 5000, idleMs: 5000, connectMs: 5000 };
  const event = (chunk: unknown) => `data: ${JSON.stringify(chunk)}\n\n`;
  const text = (content: string) => event({ choices: [{ index: 0, delta: { content } }] });
  const run = (...parts: string[]) =>
    all(
      openaiStreamEvents(
        Readable.from(parts.map((p) => Buffer.from(p))),
        'chat',
        label,
        timeouts,
        new AbortController().signal,
      ),
    );

  it('turns text deltas, a finish and [DONE] into text events and done', async () => {
    const finish = event({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    const events = await run(text('Hel'), text('lo'), finish, 'data: [DONE]\n\n');
    assert.deepEqual(
      events.map((e) => (e.type === 'text' ? e.text : e.type)),
      ['Hel', 'lo', 'done'],
    );
  });

  for (const [what, chunk, pattern] of [
    ['text that is not a string', { choices: [{ delta: { content: 42 } }] }, /not a string/],
    ['tool calls that are not a list', { choices: [{ delta: { tool_calls: {} } }] }, /not a list/],
    [
      'a tool call that is not an object',
      { choices: [{ delta: { tool_calls: [7] } }] },
      /not objects/,
    ],
    [
      'a tool call index far out of range',
      { choices: [{ delta: { tool_calls: [{ index: 1e9, function: { name: 'f' } }] } }] },
      /indexed 0 to 127/,
    ],
    ['an event that is a JSON string', 'hello', /not a JSON object/],
    ['an error event', { error: { message: 'model overloaded' } }, /model overloaded/],
  ] as const) {
    it(`fails the stream on ${what}, after the text before it`, async () => {
      const seen: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const e of openaiStreamEvents(
            Readable.from([Buffer.from(text('ok') + event(chunk) + 'data: [DONE]\n\n')]),
            'chat',
            label,
            timeouts,
            new AbortController().signal,
          )) {
            if (e.type === 'text') seen.push(e.text);
          }
        })(),
        (err) => err instanceof UpstreamError && pattern.test(err.message),
      );
      assert.deepEqual(seen, ['ok']);
    });
  }

  it('token counts that are not whole numbers count as not reported instead of failing', async () => {
    const usage = event({ choices: [], usage: { prompt_tokens: '5', completion_tokens: 1e308 } });
    const finish = event({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    const events = await run(text('a'), finish, usage, 'data: [DONE]\n\n');
    assert.deepEqual(events.at(-1), {
      type: 'done',
      finishReason: 'stop',
      usage: { promptTokens: 0, completionTokens: 0 },
    });
  });

  it('tool call arguments that never finish fail at the limit instead of being held', async () => {
    const piece = 'x'.repeat(1024 * 1024);
    const fragment = event({
      choices: [
        { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] } },
      ],
    });
    const parts = Array.from({ length: 9 }, () => fragment);
    await assert.rejects(run(...parts), /tool call arguments longer than/);
  });

  it('fails a stream that ends without [DONE]', async () => {
    await assert.rejects(run(text('a')), /without data: \[DONE\]/);
  });

  it('fails an event line that never ends, at the limit', async () => {
    const endless = Array.from({ length: 40 }, () => 'x'.repeat(256 * 1024));
    await assert.rejects(run('data: ', ...endless), /longer than/);
  });
});
