import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidRequestError } from '../../src/errors/errors.js';
import { ModelRegistry } from '../../src/inference/registry.js';
import type { ModelRecord } from '../../src/inference/registry.js';

const record = (
  identifier: string,
  providerId: string,
  providerResourceId: string,
): ModelRecord => ({
  identifier,
  providerId,
  providerResourceId,
  modelType: 'llm',
  metadata: {},
  source: 'run_config',
  created: 0,
});

test('an alias registered for a provider model keeps that model reachable by its provider name', () => {
  const registry = new ModelRegistry();
  registry.add(record('ollama/llama3.2:3b', 'ollama', 'llama3.2:3b'));
  registry.add({ ...record('my-llama', 'ollama', 'llama3.2:3b'), source: 'via_register_api' });
  assert.equal(registry.resolve('llama3.2:3b').identifier, 'ollama/llama3.2:3b');
  assert.equal(registry.resolve('my-llama').identifier, 'my-llama');

  // Aliases only (no <provider>/<name> entry): the first registered answers.
  const aliases = new ModelRegistry();
  aliases.add(record('first', 'ollama', 'qwen3:8b'));
  aliases.add(record('second', 'ollama', 'qwen3:8b'));
  assert.equal(aliases.resolve('qwen3:8b').identifier, 'first');
});

test('a provider model name served by two providers is ambiguous, and the message lists both', () => {
  const registry = new ModelRegistry();
  registry.add(record('ollama/llama3.2:3b', 'ollama', 'llama3.2:3b'));
  registry.add(record('vllm/llama3.2:3b', 'vllm', 'llama3.2:3b'));
  assert.throws(
    () => registry.resolve('llama3.2:3b'),
    (err: unknown) =>
      err instanceof InvalidRequestError &&
      err.message.includes('ollama/llama3.2:3b, vllm/llama3.2:3b'),
  );
});
