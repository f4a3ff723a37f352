import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { capturingLogger } from '../support/capturing-logger.js';
import type { RunningStack } from '../../src/stack/index.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, postJson, startTestStack } from '../support/stack.js';

const { log, lines } = capturingLogger('info');

let ollama: OllamaStandin;
let stack: RunningStack;

before(async () => {
  ollama = await startOllamaStandin();
  // Two upstream connections only, so held ones show at once.
  const yaml = ollamaRunYaml(ollama.url).replace(
    `url: ${ollama.url}`,
    `url: ${ollama.url}\n        max_connections: 2`,
  );
  stack = await startTestStack(yaml, { log });
});
after(async () => {
  await stack.close();
  await ollama.close();
});

const STREAM = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], stream: true };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `count` pipelined streaming requests on one connection, then drops it after `ms`. */
async function pipelineAndHangUp(count: number, ms: number, ids: string[]): Promise<void> {
  const port = new URL(stack.url).port;
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => {});
  const body = JSON.stringify(STREAM);
  const request = (id: string) =>
    `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
    `x-request-id: ${id}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  socket.write(Array.from({ length: count }, (_, i) => request(ids[i]!)).join(''));
  await sleep(ms);
  socket.destroy();
}

function outcomeWithin(index: number, ms: number) {
  return Promise.race([
    ollama.requests[index]!.outcome,
    sleep(ms).then(() => 'still running' as const),
  ]);
}

test('a stream queued behind another on a connection the client drops is cancelled and logged', async () => {
  ollama.script(
    { reply: 'first a b c d e f g', tokenDelayMs: 100 },
    { reply: 'second a b c d e f g h i j k', tokenDelayMs: 250 },
  );
  const index = ollama.requests.length;
  await pipelineAndHangUp(2, 300, ['pipe-1', 'pipe-2']);
  assert.deepEqual(
    await Promise.all([outcomeWithin(index, 1000), outcomeWithin(index + 1, 1000)]),
    ['aborted', 'aborted'],
  );
  for (const id of ['pipe-1', 'pipe-2']) {
    const mine = lines.filter((l) => l.msg === 'request' && l.reqId === id);
    assert.equal(mine.length, 1, `${id}: ${JSON.stringify(mine)}`);
    assert.equal(mine[0]?.clientAborted, true);
  }
});

test('abandoned pipelined streams do not hold the upstream connections', async () => {
  const long = Array.from({ length: 3000 }, () => 'z');
  for (let i = 0; i < 2; i++) {
    ollama.script({ reply: 'first a b c d e f g', tokenDelayMs: 100 }, { tokens: long });
  }
  await Promise.all([
    pipelineAndHangUp(2, 300, ['held-1', 'held-2']),
    pipelineAndHangUp(2, 300, ['held-3', 'held-4']),
  ]);
  const started = Date.now();
  const res = await postJson(`${stack.url}/v1/chat/completions`, { ...STREAM, stream: false });
  assert.equal(res.status, 200, res.text);
  assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms`);
});
