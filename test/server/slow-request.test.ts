import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startOllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { assertTrickleCutOff, sequentialRequests } from '../support/raw-http.js';

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

test("a request_timeout above Node's default of 300 s (up to 3600) starts and serves", async () => {
  const upstream = await startOllamaStandin();
  const stack = await startTestStack(
    ollamaRunYaml(upstream.url, 'server:\n  request_timeout: 3600\n'),
  );
  try {
    const res = await fetch(`${stack.url}/v1/models`);
    assert.equal(res.status, 200);
  } finally {
    await stack.close();
    await upstream.close();
  }
});

test('a kept-alive connection whose earlier answer is complete still gets the error envelope', async () => {
  const upstream = await startOllamaStandin();
  const stack = await startTestStack(ollamaRunYaml(upstream.url));
  try {
    const replies = await sequentialRequests(stack.url, [
      'GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /v1/models HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
    ]);
    assert.match(replies[0] ?? '', /^HTTP\/1\.1 200 /);
    assert.match(replies[1] ?? '', /^HTTP\/1\.1 400 /);
    assert.match(replies[1] ?? '', /"code":"invalid_request"/);
  } finally {
    await stack.close();
    await upstream.close();
  }
});
