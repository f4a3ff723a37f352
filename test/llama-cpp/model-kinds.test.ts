import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/errors/errors.js';
import { writeTinyModel } from '../../src/providers/llama-cpp/index.js';
import { startTestStack } from '../support/stack.js';
import { tempDir } from './helpers.js';

/** A run.yaml with one inline::llama-cpp provider serving `models` (YAML list items). */
function runYaml(modelPath: string, config: string, models: string): string {
  return `version: 2
apis: [inference]
providers:
  inference:
    - provider_id: local
      provider_type: inline::llama-cpp
      config: {model_path: ${modelPath}${config}}
models:
${models}`;
}

const CHAT = '  - {model_id: tiny, provider_id: local}\n';
const EMBED =
  '  - {model_id: tiny-embed, provider_id: local, model_type: embedding,' +
  ' metadata: {embedding_dimension: 64}}\n';

describe('inline::llama-cpp serves one kind of model per provider entry', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => {
    ({ dir, cleanup } = await tempDir());
    await writeTinyModel(join(dir, 'tiny.gguf'), { seed: 3, embedding: true });
  });
  after(() => cleanup());

  const cases: Array<[string, string, string, RegExp]> = [
    [
      'chat and embedding models on one entry',
      '',
      CHAT + EMBED,
      /provider 'local' \(inline::llama-cpp\) serves chat models 'tiny' and embedding models 'tiny-embed'; .*embedding: true/,
    ],
    [
      'embedding: true with a chat model',
      ', embedding: true',
      CHAT + EMBED,
      /has embedding: true but serves chat models 'tiny'/,
    ],
    [
      'embedding: false with an embedding model',
      ', embedding: false',
      EMBED,
      /has embedding: false but serves embedding models 'tiny-embed'/,
    ],
  ];
  for (const [name, config, models, message] of cases) {
    it(`${name} is refused at start with a message saying how to split them`, async () => {
      const yaml = runYaml(join(dir, 'tiny.gguf'), config, models);
      await assert.rejects(startTestStack(yaml), (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
