import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ollamaStackForSuite, postJson, sseData } from '../support/stack.js';

const env = ollamaStackForSuite({ reply: 'Hello! Happy to help.' });

test('the tutorial request returns the Llama Stack 0.2.x chat-completion shape', async () => {
  const res = await postJson(`${env.stack.url}/v1/inference/chat-completion`, {
    model_id: 'llama3.2:3b',
    messages: [{ role: 'user', content: 'Hello from Llama Stack!' }],
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.completion_message, {
    role: 'assistant',
    content: 'Hello! Happy to help.',
    stop_reason: 'end_of_turn',
    tool_calls: [],
  });
  assert.equal(res.json.logprobs, null);
  const names = res.json.metrics.map((m: { metric: string }) => m.metric);
  assert.deepEqual(names, ['prompt_tokens', 'completion_tokens', 'total_tokens']);
  const values = Object.fromEntries(res.json.metrics.map((m: any) => [m.metric, m.value]));
  assert.ok(values.completion_tokens > 0, 'real token counts');
  assert.equal(values.total_tokens, values.prompt_tokens + values.completion_tokens);

  const sent = env.ollama.requests.at(-1);
  assert.equal(sent?.path, '/api/chat');
  assert.equal((sent?.body as any).options.temperature, 0, 'greedy sampling is temperature 0');
});

test('legacy streaming sends start, progress and complete events without [DONE]', async () => {
  env.ollama.script({ reply: 'One two three', tokenDelayMs: 5 });
  const res = await postJson(`${env.stack.url}/v1/inference/chat-completion`, {
    model_id: 'llama3.2:3b',
    messages: [{ role: 'user', content: 'count' }],
    stream: true,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const events = sseData(res.text).map((d) => JSON.parse(d));
  assert.equal(events[0].event.event_type, 'start');
  const last = events.at(-1);
  assert.equal(last.event.event_type, 'complete');
  assert.equal(last.event.stop_reason, 'end_of_turn');
  assert.equal(last.metrics.length, 3);
  const text = events
    .filter((e) => e.event.event_type === 'progress')
    .map((e) => e.event.delta.text)
    .join('');
  assert.equal(text, 'One two three');
  assert.ok(!res.text.includes('[DONE]'));
});

test('OpenAI chat completion through /v1/chat/completions and the /v1/openai/v1 alias', async () => {
  for (const path of ['/v1/chat/completions', '/v1/openai/v1/chat/completions']) {
    const res = await postJson(`${env.stack.url}${path}`, {
      model: 'ollama/llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.object, 'chat.completion');
    assert.equal(res.json.choices[0].message.content, 'Hello! Happy to help.');
    assert.equal(res.json.choices[0].finish_reason, 'stop');
    assert.ok(res.json.usage.total_tokens > 0);
  }
});

test('OpenAI streaming keeps finish_reason null until the last chunk and ends with [DONE]', async () => {
  env.ollama.script({ reply: 'a b c', tokenDelayMs: 2 });
  const res = await postJson(`${env.stack.url}/v1/chat/completions`, {
    model: 'llama3.2:3b',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const data = sseData(res.text);
  assert.equal(data.at(-1), '[DONE]');
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  const withChoices = chunks.filter((c) => c.choices.length > 0);
  assert.ok(withChoices.slice(0, -1).every((c) => c.choices[0].finish_reason === null));
  assert.equal(withChoices.at(-1).choices[0].finish_reason, 'stop');
  const usage = chunks.at(-1);
  assert.deepEqual(usage.choices, []);
  assert.ok(usage.usage.completion_tokens > 0);
  assert.equal(withChoices.map((c) => c.choices[0].delta.content ?? '').join(''), 'a b c');
});

test('models list carries both Llama Stack and OpenAI fields', async () => {
  const res = await fetch(`${env.stack.url}/v1/models`);
  const body = (await res.json()) as any;
  const model = body.data.find((m: any) => m.identifier === 'ollama/llama3.2:3b');
  assert.ok(model, JSON.stringify(body));
  assert.equal(model.id, 'ollama/llama3.2:3b');
  assert.equal(model.object, 'model');
  assert.equal(model.provider_id, 'ollama');
  assert.equal(model.provider_resource_id, 'llama3.2:3b');
  assert.equal(model.model_type, 'llm');
  assert.equal(typeof model.created, 'number');
});
