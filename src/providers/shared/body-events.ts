import type { Readable } from 'node:stream';
import type { UpstreamTimeouts } from './config.js';
import { firstByteTimeoutError, idleTimeoutError, mapStreamError } from './errors.js';
import type { UpstreamLabel } from './errors.js';

/** Turns an upstream body's raw reads into events, synchronously. */
export interface BodyDecoder<T> {
  /** Appends the events `chunk` completes to `out`; may throw after appending some. */
  push(chunk: Buffer, out: T[]): void;
  /** Appends the events held back until the body ended; throws if the answer is incomplete. */
  end(out: T[]): void;
  /**
   * The body failed: appends the events held back and returns true if the answer was already
   * complete (a connection that breaks after the last line does not undo it).
   */
  interrupted(out: T[]): boolean;
  /** True once the answer is complete (its last event decoded, held back until the end). */
  readonly complete: boolean;
}

/** Events decoded but not yet pulled before the body is paused (a slow client)... */
const HIGH_WATER = 64;
/** ...or bytes read since the queue was last empty (a few events can be large). */
const HIGH_WATER_BYTES = 1024 * 1024;
/**
 * How long a complete answer waits for its body to end: a server that keeps the response open
 * after its last event (or goes on sending) does not hold up the end of the answer.
 */
const END_GRACE_MS = 1000;

/**
 * An upstream body read as events, for one consumer that pulls them (`for await`). The body
 * flows: each read is decoded as it arrives, inside the socket's data callback, into a queue the
 * consumer drains. A stream waiting for its next token therefore holds one pending promise and no
 * chain of async stages, and what a read allocates dies young instead of being kept alive, and
 * promoted, by stages that each wait for the next read.
 *
 * Backpressure: once HIGH_WATER events, or HIGH_WATER_BYTES of reads, wait unread the body is
 * paused, which stops reading from the upstream socket, until the consumer catches up. The first
 * read must come within the first-byte timeout and the next ones within the idle timeout; time
 * paused for the consumer does not count. Failures end the iteration with a GatewayError after
 * the events decoded before them; an aborted call (`signal`) ends quietly, without more events.
 */
export class BodyEvents<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private head = 0;
  /** A failure not yet handed to the consumer. */
  private failure: { err: unknown } | undefined;
  private ended = false;
  private paused = false;
  private first = true;
  /** Bytes read since the queue was last empty. */
  private unreadBytes = 0;
  private grace: NodeJS.Timeout | undefined;
  private waiting: { resolve(r: IteratorResult<T>): void; reject(e: unknown): void } | undefined;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly body: Readable,
    private readonly decoder: BodyDecoder<T>,
    private readonly timeouts: UpstreamTimeouts,
    private readonly label: UpstreamLabel,
    private readonly signal: AbortSignal,
  ) {
    this.timer = setTimeout(this.onTimeout, timeouts.firstByteMs).unref();
    // What came in with the response headers (Ollama sends its first line with them) is decoded
    // now rather than when the flowing body first emits, a tick later: the first event is then
    // ready when the consumer starts, and leaves together with the stream's opening.
    for (let chunk = body.read() as Buffer | null; chunk !== null; chunk = body.read()) {
      this.onData(chunk);
    }
    body.on('data', this.onData);
    body.once('end', this.onEnd);
    body.once('error', this.onError);
    body.once('close', this.onClose);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.queue.length) return Promise.resolve(this.take());
    if (this.failure) {
      const { err } = this.failure;
      this.failure = undefined;
      return Promise.reject(err);
    }
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  /** The consumer stopped early: the upstream request is cancelled at once. */
  async return(): Promise<IteratorResult<T>> {
    this.finish();
    this.failure = undefined;
    this.queue.length = 0;
    this.head = 0;
    if (!this.body.destroyed && !this.body.readableEnded) this.body.destroy();
    return { done: true, value: undefined };
  }

  private take(): IteratorResult<T> {
    const value = this.queue[this.head]!;
    this.queue[this.head++] = undefined as T;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.unreadBytes = 0;
    }
    const behind = this.queue.length - this.head;
    if (this.paused && behind < HIGH_WATER / 2 && this.unreadBytes < HIGH_WATER_BYTES) {
      this.paused = false;
      // refresh() re-arms the idle timer, which the pause had left to lapse harmlessly.
      this.timer.refresh();
      this.body.resume();
    }
    return { done: false, value };
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.ended) return;
    if (this.first) {
      this.first = false;
      clearTimeout(this.timer);
      this.timer = setTimeout(this.onTimeout, this.timeouts.idleMs).unref();
    } else this.timer.refresh();
    try {
      this.decoder.push(chunk, this.queue);
    } catch (err) {
      this.fail(err);
      this.body.destroy();
      return;
    }
    const behind = this.queue.length - this.head;
    this.unreadBytes = behind === 0 ? 0 : this.unreadBytes + chunk.length;
    if (behind >= HIGH_WATER || this.unreadBytes >= HIGH_WATER_BYTES) {
      this.paused = true;
      this.body.pause();
    }
    if (this.decoder.complete && !this.grace) {
      this.grace = setTimeout(this.onGraceOver, END_GRACE_MS).unref();
    }
    this.wake();
  };

  /** The answer was complete but its body did not end: end the answer, drop the connection. */
  private readonly onGraceOver = (): void => {
    if (this.ended) return;
    this.decoder.interrupted(this.queue);
    this.finish();
    this.body.destroy();
    this.wake();
  };

  private readonly onEnd = (): void => {
    if (this.ended) return;
    try {
      this.decoder.end(this.queue);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.finish();
    this.wake();
  };

  private readonly onError = (err: unknown): void => {
    if (this.ended) return;
    if (this.signal.aborted) {
      this.finish();
      this.wake();
      return;
    }
    if (this.decoder.interrupted(this.queue)) {
      this.finish();
      this.wake();
    } else this.fail(mapStreamError(err, this.label));
  };

  /** Destroyed without 'end' or 'error': only an abort does that, which ends quietly. */
  private readonly onClose = (): void => {
    if (this.ended) return;
    if (this.body.readableEnded) return;
    this.onError(new Error('the connection closed before the answer ended'));
  };

  private readonly onTimeout = (): void => {
    // Paused for a slow consumer: not the upstream's fault; resuming re-arms the timer.
    if (this.paused || this.ended) return;
    this.body.destroy(
      this.first
        ? firstByteTimeoutError(this.label, this.timeouts.firstByteMs)
        : idleTimeoutError(this.label, this.timeouts.idleMs),
    );
  };

  private fail(err: unknown): void {
    this.finish();
    this.failure = { err };
    this.wake();
  }

  private finish(): void {
    this.ended = true;
    clearTimeout(this.timer);
    clearTimeout(this.grace);
  }

  /** Hands the consumer waiting on `next()` what it waits for, if anything is there. */
  private wake(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    if (this.head < this.queue.length) {
      this.waiting = undefined;
      waiting.resolve(this.take());
    } else if (this.failure) {
      this.waiting = undefined;
      const { err } = this.failure;
      this.failure = undefined;
      waiting.reject(err);
    } else if (this.ended) {
      this.waiting = undefined;
      waiting.resolve({ done: true, value: undefined });
    }
  }
}
