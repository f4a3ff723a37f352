import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/errors/errors.js';
import { writeTinyModel } from '../../src/providers/llama-cpp/index.js';
import { assertError } from '../server/http.js';
import { postJson, startTestStack } from '../support/stack.js';
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

describe('registering a model with inline::llama-cpp at run time', () => {
  it('a model of the other kind than the file was loaded for is refused with a 400', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeTinyModel(join(dir, 'chat.gguf'), { seed: 4 });
      const stack = await startTestStack(runYaml(join(dir, 'chat.gguf'), '', CHAT));
      try {
        const embed = await postJson(`${stack.url}/v1/models`, {
          model_id: 'later-embed',
          provider_id: 'local',
          model_type: 'embedding',
          metadata: { embedding_dimension: 64 },
        });
        assert.match(
          assertError(embed, 400, 'invalid_request'),
          /provider 'local' \(inline::llama-cpp\) loaded its model file for chat, so it cannot serve an embedding model/,
        );
        const alias = await postJson(`${stack.url}/v1/models`, {
          model_id: 'later-chat',
          provider_id: 'local',
        });
        assert.equal(alias.status, 200, alias.text);
      } finally {
        await stack.close();
      }
    } finally {
      await cleanup();
    }
  });
});
