import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { BodyEvents } from '../../src/providers/shared/body-events.js';
import type { BodyDecoder } from '../../src/providers/shared/body-events.js';
import { UpstreamTimeoutError } from '../../src/errors/errors.js';

const label = { name: 'Upstream', url: 'http://127.0.0.1:1' } as never;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One event per newline-terminated line; a line `end` is required before the body ends. */
function lineDecoder(): BodyDecoder<string> {
  let sawEnd = false;
  return {
    push(chunk, out) {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        if (line === 'end') sawEnd = true;
        else out.push(line);
      }
    },
    end() {
      if (!sawEnd) throw new Error('incomplete');
    },
    interrupted: () => sawEnd,
    get complete() {
      return sawEnd;
    },
  };
}

function reader(idleMs = 5000) {
  const body = new PassThrough();
  const controller = new AbortController();
  const events = new BodyEvents(
    body,
    lineDecoder(),
    { firstByteMs: idleMs, idleMs, connectMs: idleMs },
    label,
    controller.signal,
  );
  return { body, events, controller };
}

describe('upstream body read as events', () => {
  // The reader's timers do not hold the process open (a real socket does): this does.
  let alive: NodeJS.Timeout;
  before(() => {
    alive = setInterval(() => {}, 1000);
  });
  after(() => clearInterval(alive));

  it('events that came with the response headers are ready at once, not a tick later', async () => {
    const body = new PassThrough();
    body.write('first\n');
    await sleep(1);
    const order: string[] = [];
    process.nextTick(() => order.push('next tick'));
    const events = new BodyEvents(
      body,
      lineDecoder(),
      { firstByteMs: 5000, idleMs: 5000, connectMs: 5000 },
      label,
      new AbortController().signal,
    );
    void events.next().then((r) => order.push(`event ${String(r.value)}`));
    await sleep(1);
    // Ready before the next tick, the first event is written in the same tick as the stream's
    // opening, so both leave in one packet.
    assert.deepEqual(order, ['event first', 'next tick']);
    body.end('second\nend\n');
    const rest: string[] = [];
    for await (const e of events) rest.push(e);
    assert.deepEqual(rest, ['second']);
  });

  it('pauses the body while 64 events wait unread, and resumes it once the consumer catches up', async () => {
    const { body, events } = reader();
    body.write(Array.from({ length: 100 }, (_, i) => `e${i}\n`).join(''));
    await sleep(10);
    assert.equal(body.isPaused(), true, 'a consumer that does not read must pause the upstream');
    const got: string[] = [];
    for (let i = 0; i < 70; i++) got.push((await events.next()).value as string);
    assert.equal(body.isPaused(), false);
    body.end('e100\nend\n');
    for await (const e of events) got.push(e);
    assert.deepEqual(
      got,
      Array.from({ length: 101 }, (_, i) => `e${i}`),
    );
  });

  it('time paused for a slow consumer does not count as upstream silence', async () => {
    const { body, events } = reader(100);
    body.write(Array.from({ length: 80 }, (_, i) => `e${i}\n`).join(''));
    await sleep(300);
    const got: string[] = [];
    for (let i = 0; i < 80; i++) got.push((await events.next()).value as string);
    body.end('end\n');
    assert.equal((await events.next()).done, true);
    assert.equal(got.length, 80);
  });

  it('an upstream silent past the idle timeout fails with a timeout after the events before it', async () => {
    const { body, events } = reader(100);
    body.write('a\n');
    assert.equal((await events.next()).value, 'a');
    await assert.rejects(events.next(), UpstreamTimeoutError);
    assert.equal(body.destroyed, true, 'the upstream request must be cancelled');
  });

  it('a consumer that stops early cancels the upstream at once', async () => {
    const { body, events } = reader();
    body.write('a\nb\n');
    assert.equal((await events.next()).value, 'a');
    await events.return();
    assert.equal(body.destroyed, true);
    assert.equal((await events.next()).done, true);
  });

  it('an aborted call ends quietly, without the events still queued', async () => {
    const { body, events, controller } = reader();
    body.write('a\n');
    assert.equal((await events.next()).value, 'a');
    const pending = events.next();
    controller.abort();
    body.destroy(new Error('aborted'));
    assert.equal((await pending).done, true);
  });

  it('a body that breaks after the answer was complete still completes', async () => {
    const { body, events } = reader();
    body.write('a\nend\n');
    assert.equal((await events.next()).value, 'a');
    body.destroy(new Error('socket hang up'));
    assert.equal((await events.next()).done, true);
  });

  it('a body that ends without completing the answer fails', async () => {
    const { body, events } = reader();
    body.end('a\n');
    assert.equal((await events.next()).value, 'a');
    await assert.rejects(events.next(), /incomplete/);
    assert.equal((await events.next()).done, true, 'a failure is reported once');
  });

  it('a few large events pause the body too (a byte limit beside the event count)', async () => {
    const { body, events } = reader();
    const big = 'x'.repeat(700 * 1024);
    body.write(`${big}\n`);
    body.write(`${big}\n`);
    await sleep(10);
    assert.equal(body.isPaused(), true, 'two 700 KiB events must pause the upstream');
    assert.equal(((await events.next()).value as string).length, big.length);
    assert.equal(((await events.next()).value as string).length, big.length);
    assert.equal(body.isPaused(), false);
    body.end('end\n');
    assert.equal((await events.next()).done, true);
  });

  it('a complete answer whose body never ends is finished after a short grace', async () => {
    const { body, events } = reader(30_000);
    body.write('a\nend\n');
    const started = Date.now();
    assert.equal((await events.next()).value, 'a');
    assert.equal((await events.next()).done, true);
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 3000, `finished after ${waited} ms`);
    assert.equal(body.destroyed, true, 'the connection that did not end is not reused');
  });
});
