import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { startOllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, ollamaStackForSuite, startTestStack } from '../support/stack.js';

const env = ollamaStackForSuite();

/** Starts a streamed chat and hands back the response without reading it. */
function openStream(url: string, body: unknown): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('response', (res) => {
      res.pause();
      resolve(res);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

test('a client that stops reading holds the upstream back, and still gets every token in order', async () => {
  // Far more than the socket buffers on both sides hold (~25 MB of SSE).
  const count = 120_000;
  const tokens = Array.from({ length: count }, (_, i) => ` t${i}`);
  env.ollama.script({ tokens, chunks: 64 * 1024, writeGapMs: 0 });
  const index = env.ollama.requests.length;
  const res = await openStream(`${env.stack.url}/v1/chat/completions`, {
    model: 'llama3.2:3b',
    messages: [{ role: 'user', content: 'count' }],
    stream: true,
  });
  assert.equal(res.statusCode, 200);

  const outcome = env.ollama.requests[index]!.outcome;
  const early = await Promise.race([
    outcome,
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 1500)),
  ]);
  assert.equal(
    early,
    'still running',
    'the gateway must not drain the upstream for a stalled client',
  );

  res.setEncoding('utf8');
  let buffer = '';
  let next = 0;
  let sawDone = false;
  for await (const text of res as AsyncIterable<string>) {
    buffer += text;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const data = buffer.slice('data: '.length, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      if (data === '[DONE]') {
        sawDone = true;
        continue;
      }
      const content = (JSON.parse(data) as { choices: { delta: { content?: string } }[] })
        .choices[0]?.delta.content;
      if (!content) continue;
      assert.equal(content, ` t${next}`);
      next++;
    }
  }
  assert.equal(next, count);
  assert.ok(sawDone);
  assert.equal(await outcome, 'finished');
});

test('a client that reads nothing for send_timeout is cut off and frees its upstream connection', async () => {
  const upstream = await startOllamaStandin();
  // One upstream connection: a stalled client that kept it would starve every other request.
  const yaml = ollamaRunYaml(upstream.url, 'server:\n  send_timeout: 0.5\n').replace(
    `url: ${upstream.url}`,
    `url: ${upstream.url}\n        max_connections: 1`,
  );
  const strict = await startTestStack(yaml);
  try {
    const tokens = Array.from({ length: 120_000 }, (_, i) => ` t${i}`);
    upstream.script({ tokens, chunks: 64 * 1024, writeGapMs: 0 });
    const res = await openStream(`${strict.url}/v1/chat/completions`, {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
    assert.equal(res.statusCode, 200);
    // The upstream connection closes (its outcome settles) once the gateway gives up on the client.
    const upstreamClosed = await Promise.race([
      upstream.requests.at(-1)!.outcome.then(() => 'closed'),
      new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 5000)),
    ]);
    assert.equal(
      upstreamClosed,
      'closed',
      'the stalled client still holds its upstream connection',
    );

    upstream.script({ reply: 'next one' });
    const next = await fetch(`${strict.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(next.status, 200);
    assert.match(await next.text(), /next one/);
    res.destroy();
  } finally {
    await strict.close();
    await upstream.close();
  }
});
