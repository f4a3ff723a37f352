/**
 * A push-to-pull bridge: node-llama-cpp reports tokens through callbacks, routes consume an
 * AsyncIterable. A consumer that stops early (break, error, client gone) triggers `onCancel`
 * so the generation behind it stops at once.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private failWaiting: ((err: unknown) => void) | undefined;
  private ended = false;
  private error: { err: unknown } | undefined;
  private iterated = false;

  constructor(private readonly onCancel: () => void) {}

  push(value: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.clearWaiting();
      resolve({ value, done: false });
    } else {
      this.buffer.push(value);
    }
  }

  /** Ends the stream after the buffered values. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiting && this.buffer.length === 0) {
      const resolve = this.waiting;
      this.clearWaiting();
      resolve({ value: undefined, done: true });
    }
  }

  /** Ends the stream with an error, delivered after the buffered values. */
  fail(err: unknown): void {
    if (this.ended) return;
    this.error = { err };
    this.ended = true;
    if (this.failWaiting && this.buffer.length === 0) {
      const reject = this.failWaiting;
      this.clearWaiting();
      reject(err);
    }
  }

  private clearWaiting(): void {
    this.waiting = undefined;
    this.failWaiting = undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.iterated) throw new Error('an event stream can be consumed only once');
    this.iterated = true;
    return {
      next: () => {
        const value = this.buffer.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.error) return Promise.reject(this.error.err);
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          this.waiting = resolve;
          this.failWaiting = reject;
        });
      },
      return: () => {
        if (!this.ended) {
          this.ended = true;
          this.buffer.length = 0;
          this.onCancel();
        }
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
