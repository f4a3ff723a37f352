import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './harness.js';

const decoder = new TextDecoder();

/** Reads from the stream until `pattern` has been seen; returns everything read so far. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
  sofar = '',
): Promise<string> {
  let text = sofar;
  while (!pattern.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

describe('POST /api/invoke with stream: true relays SSE as it arrives', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('delivers the first event before the stack server has finished', async () => {
    let release!: () => void;
    h.stack.streamGate = new Promise<void>((r) => (release = r));
    try {
      const res = await h.invoke({ prompt: 'stream me', stream: true });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      const reader = res.body!.getReader();

      // The stack server is still holding the rest back; the start event must already be here.
      const first = await readUntil(reader, /"event_type":"start"[\s\S]*\n\n/);
      assert.doesNotMatch(first, /progress/);
      release();

      const all = await readUntil(reader, /"event_type":"complete"/, first);
      assert.match(all, /"text":"echo: stream me"/);
      const events = all.split('\n\n').filter((e) => e.trim() !== '');
      for (const e of events) assert.match(e, /^data: \{/);
      assert.equal((await reader.read()).done, true);
      assert.equal(h.stack.requests.at(-1)?.body.stream, true);
    } finally {
      h.stack.streamGate = undefined;
    }
  });

  it('a caller hanging up mid-stream cancels the upstream request', async () => {
    h.stack.streamGate = new Promise<void>(() => {}); // never released
    try {
      const abort = new AbortController();
      const cut = h.stack.nextAbort();
      const res = await h.invoke({ prompt: 'bye', stream: true }, { signal: abort.signal });
      const reader = res.body!.getReader();
      await readUntil(reader, /"event_type":"start"/);
      abort.abort();
      await cut;
      assert.equal(h.stack.abortedStreams, 1);
    } finally {
      h.stack.streamGate = undefined;
    }
  });

  it('a caller hanging up before the answer cancels the upstream request and logs 499', async () => {
    h.stack.delayMs = 2000;
    try {
      const abort = new AbortController();
      const pending = h.invoke(
        { prompt: 'never mind' },
        {
          signal: abort.signal,
          headers: { 'content-type': 'application/json', 'x-request-id': 'gone-1' },
        },
      );
      while (
        !h.stack.requests.some(
          (r) => r.body.messages && JSON.stringify(r.body).includes('never mind'),
        )
      ) {
        await new Promise((r) => setTimeout(r, 10));
      }
      abort.abort();
      await assert.rejects(pending);
      let line: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && !line; i++) {
        await new Promise((r) => setTimeout(r, 10));
        line = h.logs.lines().find((l) => l.reqId === 'gone-1' && 'status' in l);
      }
      assert.equal(line?.status, 499);
      assert.equal(line?.aborted, true);
      assert.equal(line?.level, 30);
    } finally {
      h.stack.delayMs = 0;
    }
  });

  it('errors before the stream starts are normal HTTP errors', async () => {
    h.stack.failure = { status: 404, body: '{"detail":"Model \'nope\' not found."}' };
    try {
      const res = await h.invoke({ prompt: 'x', stream: true, model: 'nope' });
      assert.equal(res.status, 404);
      assert.match(
        ((await res.json()) as { error: { message: string } }).error.message,
        /Model 'nope' not found/,
      );
    } finally {
      h.stack.failure = undefined;
    }
  });
});

describe('streaming through the OpenAI-compatible endpoint', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ chatEndpoint: '/v1/chat/completions' });
  });
  after(() => h.close());

  it('relays chat.completion.chunk events and the [DONE] marker untouched', async () => {
    const res = await h.invoke({ prompt: 'hey', stream: true });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /"object":"chat\.completion\.chunk"/);
    assert.match(text, /"content":"echo: hey"/);
    assert.match(text, /data: \[DONE\]\n\n$/);
    assert.equal(h.stack.requests[0]?.body.model, 'llama3.2:3b');
  });
});
