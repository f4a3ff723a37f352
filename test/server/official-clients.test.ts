import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import LlamaStackClient from 'llama-stack-client';
import OpenAI from 'openai';
import type { RunningStack } from '../../src/stack/index.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';

describe('official clients parse our answers', () => {
  let ollama: OllamaStandin;
  let stack: RunningStack;
  let openai: OpenAI;
  let llama: LlamaStackClient;

  before(async () => {
    ollama = await startOllamaStandin();
    stack = await startTestStack(ollamaRunYaml(ollama.url));
    openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    llama = new LlamaStackClient({ baseURL: stack.url, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await stack.close();
    await ollama.close();
  });

  describe('openai (npm, v6)', () => {
    it('chat.completions.create without streaming', async () => {
      ollama.script({ reply: 'Bonjour !' });
      const completion = await openai.chat.completions.create({
        model: 'ollama/llama3.2:3b',
        messages: [{ role: 'user', content: 'Say hello in French' }],
      });
      assert.equal(completion.choices[0]?.message.content, 'Bonjour !');
      assert.equal(completion.choices[0]?.finish_reason, 'stop');
      assert.ok((completion.usage?.total_tokens ?? 0) > 0);
    });

    it('chat.completions.create with streaming, iterated, usage included', async () => {
      ollama.script({ reply: 'Un, deux, trois.', tokenDelayMs: 2 });
      const stream = await openai.chat.completions.create({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'Count' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let finish: string | null | undefined;
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
      assert.equal(text, 'Un, deux, trois.');
      assert.equal(finish, 'stop');
      assert.ok((usage?.completion_tokens ?? 0) > 0);
    });

    it('tool calls come back with string arguments the SDK can JSON.parse', async () => {
      ollama.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Lyon' } }] });
      const completion = await openai.chat.completions.create({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'Weather in Lyon?' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              parameters: { type: 'object', properties: { city: { type: 'string' } } },
            },
          },
        ],
      });
      const call = completion.choices[0]?.message.tool_calls?.[0];
      assert.ok(call && call.type === 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Lyon' });
      assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
    });

    it('models.list() pages through every model', async () => {
      const ids: string[] = [];
      for await (const model of openai.models.list()) ids.push(model.id);
      assert.ok(ids.includes('ollama/llama3.2:3b'), ids.join(', '));
      assert.ok(ids.includes('ollama/all-minilm:l6-v2'));
    });

    it('embeddings.create (the SDK asks for base64 and decodes it)', async () => {
      const res = await openai.embeddings.create({ model: 'all-minilm:l6-v2', input: ['a', 'b'] });
      assert.equal(res.data.length, 2);
      assert.equal(res.data[0]?.embedding.length, 384);
      assert.ok(res.data[0]?.embedding.every((v) => Number.isFinite(v)));
      assert.equal(ollama.requests.at(-1)?.path, '/api/embed');
    });

    it('errors surface as typed SDK errors: 404 before the stream, APIError mid-stream', async () => {
      await assert.rejects(
        openai.chat.completions.create({
          model: 'nope',
          messages: [{ role: 'user', content: 'x' }],
        }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.NotFoundError);
          assert.equal(err.status, 404);
          assert.match(err.message, /nope/);
          return true;
        },
      );

      ollama.script({ reply: 'one two three', errorAfterTokens: 1, error: 'runner crashed' });
      const stream = await openai.chat.completions.create({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      });
      let text = '';
      await assert.rejects(
        (async () => {
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        })(),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.APIError);
          assert.match(err.message, /runner crashed/);
          return true;
        },
      );
      assert.equal(text, 'one');
    });
  });

  describe('llama-stack-client (npm, 0.7.3)', () => {
    it('chat.completions.create without streaming', async () => {
      ollama.script({ reply: 'Hello! Happy to help.' });
      const completion = await llama.chat.completions.create({
        model: 'ollama/llama3.2:3b',
        messages: [{ role: 'user', content: 'Hello from Llama Stack!' }],
      });
      assert.ok('choices' in completion);
      assert.equal(completion.choices[0]?.message.content, 'Hello! Happy to help.');
      assert.equal(completion.choices[0]?.finish_reason, 'stop');
    });

    it('chat.completions.create with streaming, iterated', async () => {
      ollama.script({ reply: 'a b c d', tokenDelayMs: 2 });
      const stream = await llama.chat.completions.create({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'letters' }],
        stream: true,
      });
      let text = '';
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        text += chunk.choices[0]?.delta.content ?? '';
      }
      assert.equal(text, 'a b c d');
      assert.ok(chunks >= 5);
    });

    it('models.list() and models.retrieve() with a slash in the id', async () => {
      const models = await llama.models.list();
      const ids = models.map((m) => m.id);
      assert.ok(ids.includes('ollama/llama3.2:3b'), ids.join(', '));
      const llm = models.find((m) => m.id === 'ollama/llama3.2:3b');
      assert.equal(llm?.custom_metadata?.['model_type'], 'llm');

      const model = await llama.models.retrieve('ollama/llama3.2:3b');
      assert.equal(model.identifier, 'ollama/llama3.2:3b');
      assert.equal(model.provider_id, 'ollama');
      assert.equal(model.provider_resource_id, 'llama3.2:3b');
      assert.equal(model.model_type, 'llm');
      const byProviderName = await llama.models.retrieve('llama3.2:3b');
      assert.equal(byProviderName.identifier, 'ollama/llama3.2:3b');
    });

    it('inspect, providers and routes', async () => {
      assert.deepEqual(await llama.inspect.health(), { status: 'OK' });
      assert.equal(typeof (await llama.inspect.version()).version, 'string');
      const providers = await llama.providers.list();
      assert.equal(providers[0]?.provider_id, 'ollama');
      const routes = await llama.routes.list();
      assert.ok(routes.some((r) => r.route === '/v1/chat/completions'));
    });

    it('a missing model is a NotFoundError', async () => {
      await assert.rejects(llama.models.retrieve('ollama/ghost'), (err: unknown) => {
        assert.ok(err instanceof LlamaStackClient.NotFoundError);
        assert.equal(err.status, 404);
        return true;
      });
    });
  });
});
