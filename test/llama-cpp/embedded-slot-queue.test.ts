/**
 * Concurrency of the embedded engine: at most max_parallel generations, a fair bounded queue,
 * 503 on overflow, and slots freed the moment a client goes away (queued or generating).
 * The "endless" model never ends a turn, so a request without maxTokens holds its slot until it
 * is aborted (its context allows thousands of tokens).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OverloadedError } from '../../src/errors/errors.js';
import type { ChatEvent, InferenceProvider } from '../../src/inference/types.js';
import { writeTinyModel } from '../../src/providers/llama-cpp/index.js';
import { SlotQueue } from '../../src/providers/llama-cpp/queue.js';
import { callContext, chatRequest, collect, doneOf, startedProvider, tempDir } from './helpers.js';

let cleanup: () => Promise<void>;
let single: InferenceProvider;
let pair: InferenceProvider;

const holdRequest = () =>
  chatRequest('endless', { sampling: { temperature: 0.8, seed: 1 } /* no maxTokens */ });
const shortRequest = () => chatRequest('endless', { sampling: { maxTokens: 3, seed: 2 } });

before(async () => {
  const tmp = await tempDir();
  cleanup = tmp.cleanup;
  const path = join(tmp.dir, 'endless.gguf');
  await writeTinyModel(path, { seed: 9, endOfTurn: 'never', contextLength: 16384 });
  const base = { model_path: path, context_size: 16384 };
  single = await startedProvider({ ...base, max_parallel: 1, max_queue: 2 });
  pair = await startedProvider({ ...base, max_parallel: 2, max_queue: 1 });
});

after(async () => {
  await Promise.all([single?.close(), pair?.close()]);
  await cleanup?.();
});

/** Reads the first event, proving generation is running. */
async function firstEvent(events: AsyncIterable<ChatEvent>) {
  const it = events[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(first.done, false);
  return it;
}

async function drain(it: AsyncIterator<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) out.push(r.value);
  return out;
}

describe('slot queue', () => {
  it('serves queued requests first in, first out and rejects overflow with 503', async () => {
    const holder = callContext();
    const held = await firstEvent(await single.chat(holdRequest(), holder));
    const started: string[] = [];
    const b = single.chat(shortRequest(), callContext()).then((s) => {
      started.push('b');
      return collect(s);
    });
    const c = single.chat(shortRequest(), callContext()).then((s) => {
      started.push('c');
      return collect(s);
    });
    await assert.rejects(single.chat(shortRequest(), callContext()), (err: OverloadedError) => {
      assert.ok(err instanceof OverloadedError);
      assert.equal(err.status, 503);
      assert.equal(err.headers['retry-after'], '1');
      assert.match(err.message, /the embedded model is busy: 2 requests queued, limit max_queue=2/);
      assert.match(err.message, /raise max_queue\/max_parallel/);
      return true;
    });
    assert.deepEqual(started, [], 'nothing starts while the slot is held');

    holder.abort();
    const rest = await drain(held);
    assert.equal(doneOf(rest), undefined, 'an aborted generation ends without done');
    const [bEvents, cEvents] = await Promise.all([b, c]);
    assert.deepEqual(started, ['b', 'c']);
    assert.equal(doneOf(bEvents)?.finishReason, 'length');
    assert.equal(doneOf(cEvents)?.finishReason, 'length');
  });

  it('frees the slot when a streaming client disconnects, so the next request starts', async () => {
    const client = callContext();
    const stream = await firstEvent(await single.chat(holdRequest(), client));
    let queuedStarted = false;
    const queued = single.chat(shortRequest(), callContext()).then((s) => {
      queuedStarted = true;
      return collect(s);
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(queuedStarted, false);

    client.abort();
    const events = await queued;
    assert.equal(doneOf(events)?.usage.completionTokens, 3);
    const leftover = await drain(stream);
    assert.equal(doneOf(leftover), undefined);
  });

  it('frees the slot when the consumer stops iterating early', async () => {
    const events = await single.chat(holdRequest(), callContext());
    for await (const e of events) {
      assert.equal(e.type, 'text');
      break;
    }
    const next = await collect(await single.chat(shortRequest(), callContext()));
    assert.equal(doneOf(next)?.finishReason, 'length');
  });

  it('lets a client that gives up while queued leave the queue at once', async () => {
    const holder = callContext();
    const held = await firstEvent(await single.chat(holdRequest(), holder));
    const leaver = callContext();
    const left = single.chat(shortRequest(), leaver);
    const stayer = single.chat(shortRequest(), callContext());
    leaver.abort();
    assert.deepEqual(await collect(await left), [], 'the aborted waiter gets an empty stream');
    // The queue (max 2) has room again: this one queues instead of getting 503.
    const third = single.chat(shortRequest(), callContext());
    holder.abort();
    await drain(held);
    const [s, t] = await Promise.all([stayer, third]);
    assert.equal(doneOf(await collect(s))?.finishReason, 'length');
    assert.equal(doneOf(await collect(t))?.finishReason, 'length');
  });

  it('runs max_parallel generations side by side without one blocking the other', async () => {
    const slow = callContext();
    const long = await firstEvent(await pair.chat(holdRequest(), slow));
    // The second slot is free: a short request completes while the long one keeps going.
    const quick = await collect(await pair.chat(shortRequest(), callContext()));
    assert.equal(doneOf(quick)?.finishReason, 'length');
    const holder2 = callContext();
    const second = await firstEvent(await pair.chat(holdRequest(), holder2));
    const waiting = pair.chat(shortRequest(), callContext());
    await assert.rejects(pair.chat(shortRequest(), callContext()), { status: 503 });
    slow.abort();
    holder2.abort();
    await Promise.all([drain(long), drain(second)]);
    assert.equal(doneOf(await collect(await waiting))?.finishReason, 'length');
  });
});

describe('shutdown', () => {
  it('fails queued requests with 503 and stops running ones when the provider closes', async () => {
    const { dir, cleanup: done } = await tempDir();
    try {
      const path = join(dir, 'endless.gguf');
      await writeTinyModel(path, { seed: 10, endOfTurn: 'never' });
      const closing = await startedProvider({ model_path: path, max_parallel: 1 });
      const running = await firstEvent(await closing.chat(holdRequest(), callContext()));
      // Settled into a value at once: the rejection lands while close() is still awaited.
      const queued = closing.chat(shortRequest(), callContext()).then(
        () => undefined,
        (err: unknown) => err,
      );
      await closing.close();
      assert.match(String((await queued) as Error), /shut/);
      assert.equal(((await queued) as { status?: number }).status, 503);
      await assert.rejects(drain(running), { status: 502 });
    } finally {
      await done();
    }
  });
});

describe('SlotQueue unit behaviour', () => {
  it('hands a released slot to the oldest waiter, not to a newcomer', async () => {
    const q = new SlotQueue(1, 5);
    const release = await q.acquire(new AbortController().signal);
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      q.acquire(new AbortController().signal).then((r) => {
        order.push(n);
        r();
      }),
    );
    assert.equal(q.queuedCount, 3);
    release();
    release(); // a second release of the same slot is ignored
    await Promise.all(waiters);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(q.activeCount, 0);
  });

  it('accepts no waiters at all with max_queue 0', async () => {
    const q = new SlotQueue(1, 0);
    await q.acquire(new AbortController().signal);
    await assert.rejects(q.acquire(new AbortController().signal), OverloadedError);
  });
});
