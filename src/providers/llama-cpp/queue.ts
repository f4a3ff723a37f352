import { OverloadedError } from '../../errors/errors.js';

/** Thrown to a waiter whose caller gave up (its signal aborted) before a slot came free. */
export class QueueAbortedError extends Error {
  constructor() {
    super('request left the queue: the caller aborted');
    this.name = 'QueueAbortedError';
  }
}

interface Waiter {
  resolve(release: () => void): void;
  reject(err: Error): void;
  cleanup(): void;
}

/**
 * A fair (first in, first out) bounded queue in front of `maxActive` generation slots. A freed
 * slot goes straight to the oldest waiter, so a burst of new arrivals cannot overtake it.
 */
export class SlotQueue {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly maxActive: number,
    readonly maxWaiting: number,
  ) {}

  get activeCount(): number {
    return this.active;
  }

  get queuedCount(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release function once a slot is the caller's. Rejects with OverloadedError
   * when the queue is full, and with QueueAbortedError as soon as `signal` aborts while waiting.
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(new QueueAbortedError());
    if (this.active < this.maxActive && this.waiting.length === 0) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(
        new OverloadedError(
          `the embedded model is busy: ${this.waiting.length} requests queued, limit ` +
            `max_queue=${this.maxWaiting} (with max_parallel=${this.maxActive} generating); ` +
            'retry later or raise max_queue/max_parallel in the provider config',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(new QueueAbortedError());
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal.removeEventListener('abort', onAbort),
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Fails every waiter (provider shutdown). */
  rejectAll(err: Error): void {
    for (const waiter of this.waiting.splice(0)) {
      waiter.cleanup();
      waiter.reject(err);
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (!next) {
        this.active--;
        return;
      }
      next.cleanup();
      next.resolve(this.releaser());
    };
  }
}
