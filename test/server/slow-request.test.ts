import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { assertTrickleCutOff } from '../support/raw-http.js';

test('a client that trickles its request is answered 408 and cut off after server.request_timeout', async () => {
  const upstream = await startOllamaStandin();
  const stack = await startTestStack(
    ollamaRunYaml(upstream.url, 'server:\n  request_timeout: 0.4\n'),
  );
  try {
    await assertTrickleCutOff(stack.url, '/v1/chat/completions');
    assert.deepEqual(
      upstream.requests.filter((r) => r.path === '/api/chat'),
      [],
    );
  } finally {
    await stack.close();
    await upstream.close();
  }
});
