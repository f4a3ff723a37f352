/**
 * Where the embedded engine finds its model and how it fails when it cannot: an Ollama store
 * laid out as `ollama pull` leaves it, and missing, foreign or truncated files, each a
 * ConfigError naming the file and the fix.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/errors/errors.js';
import {
  buildTinyModel,
  llamaCppConfigSchema,
  resolveOllamaModel,
} from '../../src/providers/llama-cpp/index.js';
import { parseOllamaModelName } from '../../src/providers/llama-cpp/ollama-store.js';
import { callContext, chatRequest, collect, doneOf, llamaCppProvider, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let model: Buffer;

/** Lays out a model the way Ollama stores it: a manifest pointing at content-addressed blobs. */
async function ollamaStore(
  root: string,
  name: string,
  tag: string,
  namespace = 'library',
): Promise<string> {
  const digest = createHash('sha256').update(model).digest('hex');
  const blobs = join(root, 'blobs');
  await mkdir(blobs, { recursive: true });
  await writeFile(join(blobs, `sha256-${digest}`), model);
  const config = Buffer.from('{"model_format":"gguf"}');
  const configDigest = createHash('sha256').update(config).digest('hex');
  await writeFile(join(blobs, `sha256-${configDigest}`), config);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      digest: `sha256:${configDigest}`,
      size: config.length,
    },
    layers: [
      {
        mediaType: 'application/vnd.ollama.image.template',
        digest: `sha256:${'0'.repeat(64)}`,
        size: 10,
      },
      {
        mediaType: 'application/vnd.ollama.image.model',
        digest: `sha256:${digest}`,
        size: model.length,
      },
    ],
  };
  const manifestDir = join(root, 'manifests', 'registry.ollama.ai', namespace, name);
  await mkdir(manifestDir, { recursive: true });
  await writeFile(join(manifestDir, tag), JSON.stringify(manifest));
  return join(blobs, `sha256-${digest}`);
}

/** Asserts a ConfigError whose message matches every pattern. */
async function rejectsConfig(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err.name}: ${err.message}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

before(async () => {
  ({ dir, cleanup } = await tempDir());
  model = buildTinyModel({ seed: 11 });
});

after(async () => {
  await cleanup?.();
});

describe('Ollama store resolution', () => {
  it('parses names with and without tag, namespace and registry', () => {
    assert.deepEqual(parseOllamaModelName('llama3.2:3b'), {
      registry: 'registry.ollama.ai',
      namespace: 'library',
      name: 'llama3.2',
      tag: '3b',
    });
    assert.equal(parseOllamaModelName('llama3.2').tag, 'latest');
    assert.deepEqual(parseOllamaModelName('acme/tiny:q4'), {
      registry: 'registry.ollama.ai',
      namespace: 'acme',
      name: 'tiny',
      tag: 'q4',
    });
    assert.equal(parseOllamaModelName('example.com:5000/acme/tiny').registry, 'example.com:5000');
  });

  it('resolves a pulled model to its GGUF blob and serves chat from it', async () => {
    const store = join(dir, 'store-a');
    const blob = await ollamaStore(store, 'tiny', '1b');
    assert.equal(await resolveOllamaModel('tiny:1b', store), blob);

    const provider = llamaCppProvider({ ollama_model: 'tiny:1b', models_dir: store });
    try {
      await provider.start([]);
      const [listed] = await provider.listModels();
      assert.equal(listed?.providerModelId, 'tiny:1b');
      const events = await collect(
        await provider.chat(chatRequest('tiny:1b', { sampling: { maxTokens: 2 } }), callContext()),
      );
      assert.ok(doneOf(events));
    } finally {
      await provider.close();
    }
  });

  it('uses the latest tag, namespaces and OLLAMA_MODELS when models_dir is not set', async () => {
    const store = join(dir, 'store-b');
    const blob = await ollamaStore(store, 'mini', 'latest', 'acme');
    const saved = process.env.OLLAMA_MODELS;
    process.env.OLLAMA_MODELS = store;
    try {
      assert.equal(await resolveOllamaModel('acme/mini'), blob);
    } finally {
      if (saved === undefined) delete process.env.OLLAMA_MODELS;
      else process.env.OLLAMA_MODELS = saved;
    }
  });

  it('names the manifest it looked for and the ollama pull that fixes it', async () => {
    const store = join(dir, 'store-empty');
    await rejectsConfig(
      resolveOllamaModel('llama3.2:3b', store),
      /not found: no manifest at .*store-empty\/manifests\/registry\.ollama\.ai\/library\/llama3\.2\/3b/,
      /ollama pull llama3\.2:3b/,
    );
  });

  it('rejects a manifest without a model layer', async () => {
    const store = join(dir, 'store-c');
    const manifestDir = join(store, 'manifests', 'registry.ollama.ai', 'library', 'broken');
    await mkdir(manifestDir, { recursive: true });
    await writeFile(join(manifestDir, 'latest'), JSON.stringify({ layers: [] }));
    await rejectsConfig(
      resolveOllamaModel('broken', store),
      /has no model layer \(application\/vnd\.ollama\.image\.model\)/,
    );
  });
});

describe('bad model files fail start-up with a ConfigError naming the file', () => {
  const start = (path: string) => llamaCppProvider({ model_path: path }).start([]);

  it('a missing file', async () => {
    const path = join(dir, 'absent.gguf');
    await rejectsConfig(start(path), new RegExp(`${path} .*does not exist`));
  });

  it('a file that is not GGUF', async () => {
    const path = join(dir, 'weights.bin');
    await writeFile(path, 'PK\u0003\u0004 this is a zip file, not a model');
    await rejectsConfig(start(path), new RegExp(`${path} .*is not a GGUF model`), /504b0304/);
  });

  it('a file truncated inside its header', async () => {
    const path = join(dir, 'cut-header.gguf');
    await writeFile(path, model.subarray(0, 200));
    await rejectsConfig(start(path), new RegExp(`${path} .*(damaged or truncated|truncated)`));
  });

  it('a file truncated inside its tensor data', async () => {
    const path = join(dir, 'cut-data.gguf');
    await writeFile(path, model.subarray(0, model.length - 4096));
    await rejectsConfig(
      start(path),
      new RegExp(`${path} .*could not be loaded by llama\\.cpp`),
      /not within the file bounds/,
    );
  });

  it('a failed start leaves the provider unhealthy with the reason', async () => {
    const provider = llamaCppProvider({ model_path: join(dir, 'nothing-here.gguf') });
    await assert.rejects(provider.start([]), ConfigError);
    const health = await provider.health();
    assert.equal(health.status, 'Error');
    assert.match('message' in health ? health.message : '', /nothing-here\.gguf/);
    await assert.rejects(provider.chat(chatRequest('nothing-here'), callContext()), {
      status: 503,
    });
  });
});

describe('provider life cycle', () => {
  it('reports loading while it starts, then OK, then shut down after close', async () => {
    const path = join(dir, 'lifecycle.gguf');
    await writeFile(path, model);
    const provider = llamaCppProvider({ model_path: path });
    const starting = provider.start([]);
    const during = await provider.health();
    assert.equal(during.status, 'Error');
    assert.match('message' in during ? during.message : '', /load/);
    await starting;
    assert.deepEqual(await provider.health(), { status: 'OK' });
    await provider.close();
    assert.equal((await provider.health()).status, 'Error');
    await assert.rejects(provider.chat(chatRequest('lifecycle'), callContext()), { status: 503 });
  });
});

describe('config', () => {
  it('needs exactly one of model_path and ollama_model', () => {
    assert.throws(() => llamaCppConfigSchema.parse({}), /exactly one of model_path/);
    assert.throws(
      () => llamaCppConfigSchema.parse({ model_path: 'a.gguf', ollama_model: 'llama3.2' }),
      /exactly one of model_path/,
    );
  });

  it('keeps to the CPU unless a GPU is asked for', () => {
    const c = llamaCppConfigSchema.parse({ model_path: 'a.gguf' });
    assert.equal(c.gpu, false);
    assert.equal(c.max_parallel, 2);
    assert.equal(c.max_queue, 32);
    assert.throws(
      () => llamaCppConfigSchema.parse({ model_path: 'a.gguf', gpu_layers: 10 }),
      /gpu_layers > 0 needs gpu/,
    );
  });
});
