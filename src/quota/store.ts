/**
 * Where quota counters live. Implementations must make `increment` atomic across every process
 * sharing the store, and may forget a key once its expiry has passed.
 */
export interface CounterStore {
  /** Adds `by` to the counter and returns the new value; the key expires at `expiresAtMs`. */
  increment(key: string, by: number, expiresAtMs: number): Promise<number>;
  /** Current value, 0 when absent. */
  get(key: string): Promise<number>;
  close(): Promise<void>;
}
