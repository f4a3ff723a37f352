import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { trickleRequest } from '../support/raw-http.js';

test('a client that trickles its request is answered 408 and cut off after server.request_timeout', async () => {
  const upstream = await startOllamaStandin();
  const stack = await startTestStack(
    ollamaRunYaml(upstream.url, 'server:\n  request_timeout: 0.4\n'),
  );
  try {
    const slow = await trickleRequest(stack.url, '/v1/chat/completions', {
      bodyBytes: 1000,
      gapMs: 50,
      giveUpMs: 5000,
    });
    assert.equal(slow.open, false, 'the trickling client still holds its connection');
    assert.match(slow.reply, /^HTTP\/1\.1 408 /);
    assert.match(slow.reply, /the request did not arrive whole within 0\.4 s/);
    assert.ok(slow.ms < 2000, `cut after ${Math.round(slow.ms)} ms`);
    assert.deepEqual(
      upstream.requests.filter((r) => r.path === '/api/chat'),
      [],
    );
  } finally {
    await stack.close();
    await upstream.close();
  }
});
