import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { capturingLogger } from '../support/capturing-logger.js';
import type { RunningStack } from '../../src/stack/index.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { streamSse } from './http.js';

const { log, lines } = capturingLogger('info');

let ollama: OllamaStandin;
let stack: RunningStack;

before(async () => {
  ollama = await startOllamaStandin();
  const cors = `
server:
  cors: {allow_origins: ["http://app.example"]}
`;
  stack = await startTestStack(ollamaRunYaml(ollama.url, cors), { log });
});
after(async () => {
  await stack.close();
  await ollama.close();
});

const STREAM = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], stream: true };
const settle = () => new Promise((r) => setTimeout(r, 100));

function linesOf(reqId: string) {
  return lines.filter((l) => l.msg === 'request' && l.reqId === reqId);
}

async function streamedCount(status: number): Promise<number> {
  const text = await (await fetch(`${stack.url}/metrics`)).text();
  const pattern = new RegExp(
    `^llamagate_http_requests_total\\{method="POST",route="/v1/chat/completions",status="${status}"\\} (\\d+)$`,
    'm',
  );
  return Number(pattern.exec(text)?.[1] ?? 0);
}

test('a streamed answer logs one info line with status 200 and is counted once it ends', async () => {
  ollama.script({ reply: 'one two three', tokenDelayMs: 5 });
  const before = await streamedCount(200);
  const res = await streamSse(`${stack.url}/v1/chat/completions`, STREAM);
  assert.equal(res.status, 200);
  assert.equal(res.events.at(-1)?.data, '[DONE]');
  await settle();

  const reqId = res.headers.get('x-request-id');
  assert.ok(reqId, 'a streamed answer carries x-request-id');
  const mine = linesOf(reqId);
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.equal(mine[0]?.status, 200);
  assert.equal(mine[0]?.level, 30);
  assert.equal(mine[0]?.clientAborted, undefined);
  assert.equal(typeof mine[0]?.durationMs, 'number');
  assert.equal(await streamedCount(200), before + 1);
});

test('a streamed answer carries the CORS headers of an allowed origin', async () => {
  const res = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://app.example' },
    body: JSON.stringify(STREAM),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), 'http://app.example');
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(res.headers.get('cache-control'), 'no-cache');
  assert.match(await res.text(), /data: \[DONE\]\n\n$/);
});

test('a client that hangs up mid-stream leaves one info line marked clientAborted', async () => {
  ollama.script({
    reply: Array.from({ length: 30 }, (_, i) => `w${i}`).join(' '),
    tokenDelayMs: 50,
  });
  const res = await streamSse(`${stack.url}/v1/chat/completions`, STREAM, (event) =>
    event.data.includes('w1'),
  );
  await settle();

  const reqId = res.headers.get('x-request-id')!;
  const mine = linesOf(reqId);
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.equal(mine[0]?.clientAborted, true);
  assert.equal(mine[0]?.level, 30);
});

test('a client that hangs up while a whole answer is pending leaves one 499 line and metric', async () => {
  ollama.script({ hang: true });
  const before = await streamedCount(499);
  const controller = new AbortController();
  const pending = fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'hang-up-whole' },
    body: JSON.stringify({ ...STREAM, stream: false }),
    signal: controller.signal,
  }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 200));
  controller.abort();
  await pending;
  await settle();

  const mine = linesOf('hang-up-whole');
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.equal(mine[0]?.status, 499);
  assert.equal(mine[0]?.clientAborted, true);
  assert.equal(mine[0]?.level, 30);
  assert.equal(await streamedCount(499), before + 1);
});

test('a stream that fails after its first event logs one error line naming the failure', async () => {
  ollama.script({ reply: 'a b c d', errorAfterTokens: 2, error: 'model runner crashed' });
  const res = await streamSse(`${stack.url}/v1/chat/completions`, STREAM);
  assert.equal(res.status, 200);
  const last = JSON.parse(res.events.at(-1)!.data) as { error?: { message?: string } };
  assert.match(String(last.error?.message), /model runner crashed/);
  await settle();

  const mine = linesOf(res.headers.get('x-request-id')!);
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.equal(mine[0]?.level, 50);
  assert.equal(mine[0]?.status, 200);
  assert.equal(typeof mine[0]?.streamError, 'string');
});
