import type { ChatEvent } from '../inference/types.js';

/**
 * Turns a generation's events into the payloads of one streamed answer (JSON text, without SSE
 * framing), synchronously. The server applies it inside its one read loop per stream, so
 * translation adds no async stage between the provider and the socket: an open stream waits on
 * a single promise for its next event instead of one per stage, and what each event allocates
 * dies before the next collection.
 */
export interface StreamEncoder {
  /** Payloads sent before the first event. */
  opening(): string[];
  /** Payloads for one event. After the `done` event the answer is complete. */
  encode(event: ChatEvent): string[];
  /** Called once when the stream ends, whether it finished, failed or was abandoned. */
  close?(): void;
}
