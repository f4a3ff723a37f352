import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ollamaStackForSuite, postJson, sseData } from '../support/stack.js';
import { PNG_BASE64, lastBody } from './http.js';

describe('OpenAI-compatible chat, completions and embeddings routes', () => {
  const env = ollamaStackForSuite();

  const chat = (extra: Record<string, unknown>, path = '/v1/chat/completions') =>
    postJson(`${env.stack.url}${path}`, {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
      ...extra,
    });

  it('answers a chat.completion with the model name the caller used and real usage', async () => {
    env.ollama.script({ reply: 'Hi there!', promptTokens: 31 });
    const res = await chat({});
    assert.equal(res.status, 200, res.text);
    assert.match(res.json.id, /^chatcmpl-/);
    assert.equal(res.json.object, 'chat.completion');
    assert.equal(res.json.model, 'llama3.2:3b');
    assert.equal(typeof res.json.created, 'number');
    assert.deepEqual(res.json.choices, [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hi there!', refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ]);
    // Two stand-in tokens: `Hi` and ` there!`.
    assert.deepEqual(res.json.usage, { prompt_tokens: 31, completion_tokens: 2, total_tokens: 33 });
    assert.equal(lastBody(env.ollama.requests, '/api/chat').stream, false);
  });

  it('maps OpenAI sampling fields to Ollama options; absent fields stay absent', async () => {
    let res = await chat({});
    assert.equal(lastBody(env.ollama.requests, '/api/chat').options, undefined);

    res = await chat({
      temperature: 0.3,
      top_p: 0.8,
      max_tokens: 12,
      stop: 'END',
      seed: 42,
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(lastBody(env.ollama.requests, '/api/chat').options, {
      temperature: 0.3,
      top_p: 0.8,
      num_predict: 12,
      stop: ['END'],
      seed: 42,
      frequency_penalty: 0.5,
      presence_penalty: -0.5,
    });

    res = await chat({ max_tokens: 12, max_completion_tokens: 5, stop: ['a', 'b'] });
    const options = lastBody(env.ollama.requests, '/api/chat').options;
    assert.equal(options.num_predict, 5, 'max_completion_tokens wins over max_tokens');
    assert.deepEqual(options.stop, ['a', 'b']);
  });

  it('reports finish_reason length when max_tokens cuts the answer', async () => {
    env.ollama.script({ reply: 'one two three four' });
    const res = await chat({ max_tokens: 2 });
    assert.equal(res.json.choices[0].message.content, 'one two');
    assert.equal(res.json.choices[0].finish_reason, 'length');
  });

  it('maps response_format json_object and json_schema to Ollama format', async () => {
    await chat({ response_format: { type: 'json_object' } });
    assert.equal(lastBody(env.ollama.requests, '/api/chat').format, 'json');

    const schema = { type: 'object', properties: { city: { type: 'string' } } };
    const res = await chat({
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema } },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(lastBody(env.ollama.requests, '/api/chat').format, schema);

    await chat({ response_format: { type: 'text' } });
    assert.equal(lastBody(env.ollama.requests, '/api/chat').format, undefined);
  });

  it('sends content parts and data: URI images as Ollama text and raw base64', async () => {
    const res = await chat({
      messages: [
        { role: 'developer', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe ' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
            { type: 'text', text: 'this.' },
          ],
        },
      ],
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(lastBody(env.ollama.requests, '/api/chat').messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Describe this.', images: [PNG_BASE64] },
    ]);
  });

  it('streams without a usage field unless stream_options.include_usage is set', async () => {
    env.ollama.script({ reply: 'x y', tokenDelayMs: 1 });
    const res = await chat({ stream: true });
    assert.equal(res.status, 200);
    const data = sseData(res.text);
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    assert.ok(chunks.every((c) => !('usage' in c)));
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id));
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
    assert.deepEqual(chunks.at(-1).choices[0].delta, {});
    assert.equal(lastBody(env.ollama.requests, '/api/chat').stream, true);
  });

  for (const path of ['/v1/completions', '/v1/openai/v1/completions']) {
    it(`completes text on ${path}`, async () => {
      env.ollama.script({ reply: 'a fox.' });
      const res = await postJson(`${env.stack.url}${path}`, {
        model: 'ollama/llama3.2:3b',
        prompt: 'Once upon a time',
        suffix: 'The end.',
        max_tokens: 20,
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.object, 'text_completion');
      assert.equal(res.json.model, 'ollama/llama3.2:3b');
      assert.equal(res.json.choices[0].text, 'a fox.');
      assert.equal(res.json.choices[0].finish_reason, 'stop');
      assert.ok(res.json.usage.total_tokens > 0);
      const sent = lastBody(env.ollama.requests, '/api/generate');
      assert.equal(sent.prompt, 'Once upon a time');
      assert.equal(sent.suffix, 'The end.');
      assert.equal(sent.options.num_predict, 20);
    });
  }

  it('streams text completions with usage in a final choices:[] chunk when asked, then [DONE]', async () => {
    env.ollama.script({ reply: 'a fox ran.', tokenDelayMs: 1 });
    const res = await postJson(`${env.stack.url}/v1/completions`, {
      model: 'llama3.2:3b',
      prompt: 'x',
      stream: true,
      stream_options: { include_usage: true },
    });
    const data = sseData(res.text);
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const usage = chunks.pop();
    assert.deepEqual(usage.choices, []);
    assert.ok(usage.usage.completion_tokens > 0);
    assert.equal(
      usage.usage.total_tokens,
      usage.usage.prompt_tokens + usage.usage.completion_tokens,
    );
    assert.ok(chunks.every((c) => c.usage === null && c.object === 'text_completion'));
    assert.equal(chunks.map((c) => c.choices[0].text).join(''), 'a fox ran.');
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
    assert.ok(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null));
  });

  it('streams text completions without any usage field unless asked', async () => {
    env.ollama.script({ reply: 'a fox ran.', tokenDelayMs: 1 });
    const res = await postJson(`${env.stack.url}/v1/completions`, {
      model: 'llama3.2:3b',
      prompt: 'x',
      stream: true,
    });
    const chunks = sseData(res.text)
      .slice(0, -1)
      .map((d) => JSON.parse(d));
    assert.ok(chunks.every((c) => !('usage' in c) && c.choices.length === 1));
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
  });

  for (const path of ['/v1/embeddings', '/v1/openai/v1/embeddings']) {
    it(`embeds on ${path} as floats and as base64 float32 of the same vector`, async () => {
      const body = { model: 'all-minilm:l6-v2', input: ['alpha', 'beta'] };
      const floats = await postJson(`${env.stack.url}${path}`, body);
      assert.equal(floats.status, 200, floats.text);
      assert.equal(floats.json.object, 'list');
      assert.equal(floats.json.model, 'all-minilm:l6-v2');
      assert.equal(floats.json.data.length, 2);
      assert.deepEqual(
        floats.json.data.map((d: any) => [d.object, d.index]),
        [
          ['embedding', 0],
          ['embedding', 1],
        ],
      );
      assert.ok(floats.json.usage.prompt_tokens > 0);
      assert.equal(floats.json.usage.total_tokens, floats.json.usage.prompt_tokens);

      const b64 = await postJson(`${env.stack.url}${path}`, { ...body, encoding_format: 'base64' });
      assert.equal(b64.status, 200, b64.text);
      for (const i of [0, 1]) {
        const bytes = Buffer.from(b64.json.data[i].embedding, 'base64');
        const decoded = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
        const expected = floats.json.data[i].embedding as number[];
        assert.equal(decoded.length, expected.length);
        decoded.forEach((v, j) => assert.ok(Math.abs(v - expected[j]!) < 1e-6));
      }
    });
  }

  it('embeds a single string input and passes dimensions through', async () => {
    const res = await postJson(`${env.stack.url}/v1/embeddings`, {
      model: 'all-minilm:l6-v2',
      input: 'just one',
      dimensions: 32,
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.data.length, 1);
    assert.equal(res.json.data[0].embedding.length, 32);
    const sent = lastBody(env.ollama.requests, '/api/embed');
    assert.deepEqual(sent.input, ['just one']);
    assert.equal(sent.dimensions, 32);
  });
});
