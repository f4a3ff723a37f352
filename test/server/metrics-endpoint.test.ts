import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ollamaStackForSuite, postJson } from '../support/stack.js';

const env = ollamaStackForSuite();

test('metrics count requests by route template and tokens by model', async () => {
  const chat = await postJson(`${env.stack.url}/v1/chat/completions`, {
    model: 'llama3.2:3b',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(chat.status, 200);
  await fetch(`${env.stack.url}/v1/models/ollama/llama3.2:3b`);

  const res = await fetch(`${env.stack.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await res.text();
  assert.match(
    text,
    /llamagate_http_requests_total\{method="POST",route="\/v1\/chat\/completions",status="200"\} 1/,
  );
  // Paths with ids are labelled by their template, so label values stay bounded.
  assert.match(text, /route="\/v1\/models\/\*"/);
  assert.doesNotMatch(text, /route="\/v1\/models\/ollama/);
  const completion =
    /llamagate_tokens_total\{model="ollama\/llama3.2:3b",kind="completion"\} (\d+)/.exec(text);
  assert.ok(completion && Number(completion[1]) === chat.json.usage.completion_tokens, text);
});
