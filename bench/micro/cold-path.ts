/**
 * How much slower request-path code runs right after the process has been idle, as it is before
 * each request of the streaming workload one stream at a time (the gateway waits 10 ms between
 * tokens and 50 ms for a first token). Each operation is timed once per sample as the first thing
 * done after an idle gap of 0 (back to back), 10 and 50 ms; medians are printed with the ratio
 * to the back-to-back figure.
 *
 *   node --import tsx bench/micro/cold-path.ts [samples]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { VerifiedTokenCache } from '../../src/auth/token-cache.js';
import { parseOpenAIChat } from '../../src/translate/openai-request.js';
import { chatBody } from '../lib/workload.js';

const samples = Number(process.argv[2] ?? 30);
const GAPS_MS = [0, 10, 50];

const bodyText = chatBody('llama3.2:3b', true);
const body = JSON.parse(bodyText) as unknown;
// An RS256 access token from the embedded IdP is about this long.
const token = `eyJ${'x'.repeat(1300)}`;
const cache = new VerifiedTokenCache({ maxEntries: 100, maxAgeMs: 60_000, now: Date.now });
cache.set(token, { id: 'user', attributes: {} });

// A fresh string each time, as a parsed request header is: no cached string hash.
const freshToken = () => token.slice(0, 8) + token.slice(8);

const ops: { name: string; run: () => unknown }[] = [
  { name: 'JSON.parse of the chat body', run: () => JSON.parse(bodyText) },
  { name: 'parseOpenAIChat (zod validation + mapping)', run: () => parseOpenAIChat(body) },
  {
    name: 'verified-token cache hit (SHA-256 of the token + lookup)',
    run: () => cache.get(freshToken()),
  },
  { name: 'one microtask hop (await)', run: () => Promise.resolve() },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (let i = 0; i < 2000; i++) for (const op of ops) await op.run();

const rows: string[] = [];
for (const op of ops) {
  const byGap: number[] = [];
  for (const gap of GAPS_MS) {
    const times: number[] = [];
    for (let s = 0; s < samples; s++) {
      if (gap > 0) await sleep(gap);
      else await new Promise((resolve) => setImmediate(resolve));
      const start = process.hrtime.bigint();
      await op.run();
      times.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    byGap.push(median(times));
  }
  const warm = byGap[0]!;
  rows.push(
    `  ${op.name.padEnd(58)} ${byGap.map((us) => `${us.toFixed(1).padStart(6)} µs`).join('  ')}` +
      `   x${(byGap[byGap.length - 1]! / warm).toFixed(1)}`,
  );
}
process.stdout.write(
  `cold-path, ${samples} samples per cell (node ${process.version}): median µs of one call ` +
    `after an idle gap of ${GAPS_MS.join(' / ')} ms, and the 50 ms / back-to-back ratio\n` +
    `${rows.join('\n')}\n`,
);
