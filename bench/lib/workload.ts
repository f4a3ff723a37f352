/**
 * The workloads every arm is measured with: one set of request bodies, reply texts and upstream
 * timings, shared by the stand-ins, the gateway config and the load client so all arms do the
 * same work per request.
 */

/** Model names the stand-ins answer with distinct timings (all served from prebuilt buffers). */
export const MODELS = {
  /** Non-streaming small: the whole reply at once, no delay (the CPU ceiling case). */
  fast: 'llama3.2:3b',
  /** Streaming: first token after 50 ms, then 64 tokens 10 ms apart. */
  stream: 'bench-stream:1b',
  /** Long-lived streams: first token after 100 ms, then 1 token per second. */
  slow: 'bench-slow:1b',
} as const;

export const STREAM_FIRST_TOKEN_MS = 50;
export const STREAM_TOKEN_GAP_MS = 10;
export const STREAM_TOKENS = 64;
export const SLOW_FIRST_TOKEN_MS = 100;
export const SLOW_TOKEN_GAP_MS = 1000;
/** Enough one-per-second tokens to outlive any hold phase (the client closes them first). */
export const SLOW_TOKENS = 240;

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];

/** About 1 KB of answer text, so a non-streaming reply is ~1.4 KB on the wire. */
export const FAST_REPLY = Array.from({ length: 150 }, (_, i) => WORDS[i % WORDS.length]).join(' ');

/** Word-sized tokens with leading spaces, as a tokenizer emits them. */
export function streamTokens(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${i === 0 ? '' : ' '}${WORDS[i % WORDS.length]}`);
}

/** The ~200-byte OpenAI chat body every arm receives. */
export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: 'Give me a short list of words from the phonetic alphabet.' },
    ],
    max_tokens: 512,
    temperature: 0.7,
    stream,
  });
}
