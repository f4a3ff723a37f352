import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';

describe('Ollama stand-in: protocol fidelity', () => {
  let ollama: OllamaStandin;
  before(async () => {
    ollama = await startOllamaStandin();
  });
  after(() => ollama.close());

  const post = async (path: string, body: unknown) => {
    const raw =
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await request(`${ollama.url}${path}`, { method: 'POST', body: raw });
    return {
      status: res.statusCode,
      type: res.headers['content-type'],
      text: await res.body.text(),
    };
  };

  it('answers GET / like Ollama', async () => {
    const res = await request(`${ollama.url}/`);
    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), 'Ollama is running');
  });

  it('streams NDJSON with a final line carrying done_reason and the metrics', async () => {
    const res = await post('/api/chat', {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(res.status, 200);
    assert.equal(res.type, 'application/x-ndjson');
    assert.ok(res.text.endsWith('\n'));
    const lines = res.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const l of lines.slice(0, -1)) {
      assert.equal(l.done, false);
      assert.equal(l.message.role, 'assistant');
      assert.equal(typeof l.created_at, 'string');
    }
    const last = lines.at(-1);
    assert.equal(last.done, true);
    assert.equal(last.done_reason, 'stop');
    assert.equal(last.message.content, '');
    for (const key of [
      'total_duration',
      'load_duration',
      'prompt_eval_count',
      'prompt_eval_duration',
      'eval_count',
      'eval_duration',
    ]) {
      assert.equal(Number.isInteger(last[key]), true, key);
    }
  });

  it('answers stream:false with one JSON object holding the whole text', async () => {
    const res = await post('/api/generate', { model: 'llama3.2:3b', prompt: 'hi', stream: false });
    assert.equal(res.type, 'application/json; charset=utf-8');
    const body = JSON.parse(res.text);
    assert.equal(body.response, 'Hello! Happy to help.');
    assert.equal(body.done, true);
    assert.ok(Array.isArray(body.context));
  });

  it('returns the documented error bodies and statuses', async () => {
    assert.deepEqual(
      await post('/api/chat', undefined).then((r) => [r.status, JSON.parse(r.text)]),
      [400, { error: 'missing request body' }],
    );
    assert.deepEqual(
      await post('/api/chat', { messages: [] }).then((r) => [r.status, JSON.parse(r.text)]),
      [400, { error: 'model is required' }],
    );
    const missing = await post('/api/chat', {
      model: 'x',
      messages: [{ role: 'user', content: 'a' }],
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '{"error":"model \\"x\\" not found, try pulling it first"}');
    assert.deepEqual(JSON.parse((await post('/api/generate', { model: 'x', prompt: 'a' })).text), {
      error: "model 'x' not found",
    });
    const stringArgs = await post('/api/chat', {
      model: 'llama3.2:3b',
      messages: [
        {
          role: 'assistant',
          content: '',
          tool_calls: [{ function: { name: 'f', arguments: '{}' } }],
        },
      ],
    });
    assert.equal(stringArgs.status, 400);
    assert.match(stringArgs.text, /cannot unmarshal string/);
    const badInput = await post('/api/embed', { model: 'all-minilm:l6-v2', input: [1] });
    assert.deepEqual(
      [badInput.status, JSON.parse(badInput.text)],
      [400, { error: 'invalid input type' }],
    );
  });

  it('lists models on /api/tags and loaded ones on /api/ps, and version', async () => {
    const tags = JSON.parse(await (await request(`${ollama.url}/api/tags`)).body.text());
    assert.deepEqual(
      tags.models.map((m: { name: string }) => m.name),
      ['llama3.2:3b', 'all-minilm:l6-v2'],
    );
    assert.equal(tags.models[1].details.family, 'bert');
    const ps = JSON.parse(await (await request(`${ollama.url}/api/ps`)).body.text());
    assert.ok(ps.models.some((m: { name: string }) => m.name === 'llama3.2:3b'));
    assert.equal(typeof ps.models[0].expires_at, 'string');
    assert.equal(typeof ps.models[0].size_vram, 'number');
    const version = JSON.parse(await (await request(`${ollama.url}/api/version`)).body.text());
    assert.match(version.version, /^\d+\.\d+\.\d+/);
  });

  it('embeds deterministically with normalised 384-dimension vectors', async () => {
    const body = { model: 'all-minilm:l6-v2', input: ['hello', 'world', 'hello'] };
    const first = JSON.parse((await post('/api/embed', body)).text);
    const second = JSON.parse((await post('/api/embed', body)).text);
    assert.deepEqual(first.embeddings, second.embeddings);
    assert.equal(first.embeddings[0].length, 384);
    assert.deepEqual(first.embeddings[0], first.embeddings[2]);
    assert.notDeepEqual(first.embeddings[0], first.embeddings[1]);
    const norm = Math.hypot(...first.embeddings[1]);
    assert.ok(Math.abs(norm - 1) < 1e-9);
    assert.ok(first.prompt_eval_count > 0);
  });

  it('show reports capabilities, and 404s unknown models', async () => {
    const show = JSON.parse((await post('/api/show', { model: 'llama3.2:3b' })).text);
    assert.ok(show.capabilities.includes('tools'));
    assert.equal((await post('/api/show', { model: 'nope' })).status, 404);
  });
});
