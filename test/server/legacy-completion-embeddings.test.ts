import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ollamaStackForSuite, postJson, sseData } from '../support/stack.js';
import { PNG_BASE64, assertError, lastBody } from './http.js';

describe('POST /v1/inference/completion and /v1/inference/embeddings', () => {
  const env = ollamaStackForSuite();

  const complete = (extra: Record<string, unknown>) =>
    postJson(`${env.stack.url}/v1/inference/completion`, {
      model_id: 'ollama/llama3.2:3b',
      content: 'Once upon a time',
      ...extra,
    });

  it('completes text through Ollama /api/generate with the model template', async () => {
    env.ollama.script({ reply: 'there was a fox.' });
    const res = await complete({ sampling_params: { strategy: { type: 'top_k', top_k: 3 } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.content, 'there was a fox.');
    assert.equal(res.json.stop_reason, 'end_of_turn');
    assert.equal(res.json.logprobs, null);
    assert.equal(res.json.metrics.length, 3);
    const sent = lastBody(env.ollama.requests, '/api/generate');
    assert.equal(sent.model, 'llama3.2:3b');
    assert.equal(sent.prompt, 'Once upon a time');
    assert.equal(sent.raw, false);
    assert.equal(sent.stream, false);
    assert.deepEqual(sent.options, { top_k: 3 });
  });

  it('joins interleaved text items into one prompt and maps json_schema to format', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } } };
    const res = await complete({
      content: [{ type: 'text', text: 'A' }, 'B'],
      response_format: { type: 'json_schema', json_schema: schema },
    });
    assert.equal(res.status, 200, res.text);
    const sent = lastBody(env.ollama.requests, '/api/generate');
    assert.equal(sent.prompt, 'AB');
    assert.deepEqual(sent.format, schema);
  });

  it('streams completion deltas and ends with a stop_reason chunk carrying metrics', async () => {
    env.ollama.script({ reply: 'there was a fox.', tokenDelayMs: 2 });
    const res = await complete({ stream: true, sampling_params: { max_tokens: 3 } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.ok(!res.text.includes('[DONE]'));
    const chunks = sseData(res.text).map((d) => JSON.parse(d));
    const last = chunks.at(-1);
    assert.equal(last.stop_reason, 'out_of_tokens');
    assert.equal(last.delta, '');
    assert.equal(last.metrics.length, 3);
    assert.ok(chunks.slice(0, -1).every((c) => c.stop_reason === null && c.metrics === null));
    assert.equal(chunks.map((c) => c.delta).join(''), 'there was a');
    assert.equal(lastBody(env.ollama.requests, '/api/generate').options.num_predict, 3);
  });

  it('refuses images on the completion route', async () => {
    const res = await complete({ content: [{ type: 'image', image: { data: PNG_BASE64 } }] });
    const message = assertError(res, 400, 'invalid_request');
    assert.match(message, /chat-completion/);
  });

  it('embeds each content through Ollama /api/embed', async () => {
    const res = await postJson(`${env.stack.url}/v1/inference/embeddings`, {
      model_id: 'all-minilm:l6-v2',
      contents: ['first text', { type: 'text', text: 'second text' }],
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ['embeddings']);
    assert.equal(res.json.embeddings.length, 2);
    assert.equal(res.json.embeddings[0].length, 384);
    assert.notDeepEqual(res.json.embeddings[0], res.json.embeddings[1]);
    const sent = lastBody(env.ollama.requests, '/api/embed');
    assert.deepEqual(sent.input, ['first text', 'second text']);
    assert.equal(sent.model, 'all-minilm:l6-v2');
    // text_truncation defaults to none: too-long input must fail rather than be cut.
    assert.equal(sent.truncate, false);
  });

  it('passes output_dimension and text_truncation through', async () => {
    const res = await postJson(`${env.stack.url}/v1/inference/embeddings`, {
      model_id: 'ollama/all-minilm:l6-v2',
      contents: ['x'],
      output_dimension: 64,
      text_truncation: 'end',
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.embeddings[0].length, 64);
    const sent = lastBody(env.ollama.requests, '/api/embed');
    assert.equal(sent.dimensions, 64);
    assert.equal(sent.truncate, true);
  });
});
