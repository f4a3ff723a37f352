import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A tool-call id in the `call_<random>` form OpenAI clients expect, for upstreams that give
 * none.
 */
export function newToolCallId(): string {
  const bytes = randomBytes(24);
  let id = 'call_';
  for (const b of bytes) id += ALPHABET[b % ALPHABET.length];
  return id;
}
