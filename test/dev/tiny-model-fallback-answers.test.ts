/**
 * `llamagate dev` without Ollama falls back to the generated tiny model. Its first answer is what
 * a new user sees, so under the 0.2.x API's default greedy decoding it must be short and never
 * empty, and the choice must say plainly that the text is random.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TINY_MAX_TOKENS, TINY_MODEL_ID, chooseInference } from '../../src/dev/inference-choice.js';
import type { InferenceChoice } from '../../src/dev/inference-choice.js';
import type { InferenceProvider } from '../../src/inference/types.js';
import { freePort } from '../support/processes.js';
import { callContext, collect, doneOf, llamaCppProvider, textOf } from '../llama-cpp/helpers.js';

describe('the dev fallback tiny model', { timeout: 90_000 }, () => {
  let dir: string;
  let choice: InferenceChoice;
  let provider: InferenceProvider;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llamagate-dev-tiny-'));
    // Nothing listens on a port that was just freed: no Ollama. An empty store: no local model.
    const env = {
      OLLAMA_URL: `http://127.0.0.1:${await freePort()}`,
      OLLAMA_MODELS: join(dir, 'no-ollama-store'),
    };
    choice = await chooseInference(env, dir);
    assert.equal(choice.kind, 'llama-cpp');
    provider = llamaCppProvider(choice.config);
    // As the stack server starts it: run.yaml's model entry names the provider model.
    await provider.start([{ providerModelId: TINY_MODEL_ID, modelType: 'llm', metadata: {} }]);
  });

  after(async () => {
    await provider?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is chosen when no Ollama answers, with a notice that says RANDOM TEXT', () => {
    assert.ok(choice.kind === 'llama-cpp');
    assert.equal(choice.modelId, TINY_MODEL_ID);
    assert.match(choice.notice ?? '', /RANDOM TEXT/);
    assert.match(choice.notice ?? '', /ollama pull llama3\.2:3b/);
    assert.match(choice.notice ?? '', /LLAMA_CPP_MODEL/);
  });

  it('answers greedy requests without max_tokens with short, non-empty text', async () => {
    for (const prompt of ['Who are you?', 'Hello from Llama Stack!', 'hi']) {
      const events = await collect(
        await provider.chat(
          {
            model: TINY_MODEL_ID,
            messages: [{ role: 'user', content: prompt }],
            sampling: { temperature: 0 },
            stream: false,
          },
          callContext(),
        ),
      );
      assert.ok(textOf(events).trim().length > 0, `non-empty answer to '${prompt}'`);
      const done = doneOf(events)!;
      assert.equal(done.usage.completionTokens, TINY_MAX_TOKENS);
      assert.equal(done.finishReason, 'length');
    }
  });

  it('a request that asks for max_tokens still gets exactly that many', async () => {
    const events = await collect(
      await provider.chat(
        {
          model: TINY_MODEL_ID,
          messages: [{ role: 'user', content: 'Who are you?' }],
          sampling: { temperature: 0, maxTokens: 5 },
          stream: true,
        },
        callContext(),
      ),
    );
    assert.equal(doneOf(events)!.usage.completionTokens, 5);
  });
});

it("a LLAMA_CPP_MODEL that names no file is refused in that variable's name", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llamagate-dev-missing-'));
  try {
    const env = {
      OLLAMA_URL: `http://127.0.0.1:${await freePort()}`,
      LLAMA_CPP_MODEL: join(dir, 'missing.gguf'),
    };
    await assert.rejects(
      chooseInference(env, dir),
      /^ConfigError: LLAMA_CPP_MODEL=.*missing\.gguf: no such file/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
