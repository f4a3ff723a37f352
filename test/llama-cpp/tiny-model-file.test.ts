/**
 * The generated tiny model file: a well-formed GGUF v3 with the metadata llama.cpp needs, the
 * same bytes for the same seed, and a cached copy that is regenerated when it goes missing.
 * (Loading and generating with it is covered by the embedded-* tests.)
 */
import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readGgufFileInfo } from 'node-llama-cpp';
import {
  buildTinyModel,
  ensureTinyModel,
  writeTinyModel,
} from '../../src/providers/llama-cpp/index.js';
import { encodeGguf } from '../../src/providers/llama-cpp/gguf/writer.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await tempDir());
});
after(async () => {
  await cleanup?.();
});

describe('tiny GGUF model', () => {
  it('carries llama metadata, a ChatML template, special tokens and aligned tensors', async () => {
    const path = join(dir, 'tiny.gguf');
    await writeTinyModel(path);
    const info = await readGgufFileInfo(path, { readTensorInfo: true, logWarnings: false });
    assert.equal(info.version, 3);
    const meta = info.metadata as any;
    assert.equal(meta.general.architecture, 'llama');
    assert.equal(meta.general.alignment, 32);
    assert.equal(meta.llama.embedding_length, 64);
    assert.equal(meta.llama.block_count, 2);
    const tok = meta.tokenizer.ggml;
    assert.equal(tok.model, 'llama');
    assert.equal(tok.tokens[tok.bos_token_id], '<s>');
    assert.equal(tok.tokens[tok.eos_token_id], '</s>');
    assert.equal(tok.tokens[tok.eot_token_id], '<|im_end|>');
    assert.ok(tok.tokens.includes('<0xF0>'), 'byte-fallback tokens');
    assert.match(meta.tokenizer.chat_template, /<\|im_start\|>/);
    assert.equal(info.tensorInfo?.length, 3 + 2 * 9);
    for (const t of info.tensorInfo ?? []) assert.equal(Number(t.offset) % 32, 0, t.name);
    const size = (await stat(path)).size;
    const last = info.tensorInfo!.at(-1)!;
    assert.ok(Number(last.fileOffset) < size);
  });

  it('is byte-identical for one seed and differs between seeds', () => {
    assert.ok(buildTinyModel({ seed: 5 }).equals(buildTinyModel({ seed: 5 })));
    assert.ok(!buildTinyModel({ seed: 5 }).equals(buildTinyModel({ seed: 6 })));
  });

  it('marks the embedding variant with mean pooling', async () => {
    const path = join(dir, 'embed.gguf');
    await writeTinyModel(path, { embedding: true });
    const info = await readGgufFileInfo(path, { logWarnings: false });
    assert.equal((info.metadata as any).llama.pooling_type, 1);
  });

  it('is cached in the data dir and regenerated when missing', async () => {
    const path = await ensureTinyModel(dir);
    assert.equal(path, join(dir, 'models', 'tiny-chat-s1.gguf'));
    const first = await stat(path);
    assert.equal(await ensureTinyModel(dir), path);
    assert.equal((await stat(path)).mtimeMs, first.mtimeMs, 'an existing file is reused');
    await rm(path);
    await ensureTinyModel(dir);
    assert.ok((await readFile(path)).equals(buildTinyModel()));
  });

  it('refuses a tensor whose data does not match its dimensions', () => {
    assert.throws(
      () => encodeGguf(new Map(), [{ name: 'w', dims: [4, 4], data: new Float32Array(3) }]),
      /dims 4x4 need 16 values/,
    );
  });
});
