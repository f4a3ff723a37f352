/**
 * Generates a tiny, valid llama-architecture GGUF model with seeded random weights. It lets the
 * embedded engine run end to end (load, chat template, sampling, grammars, embeddings) where no
 * real model exists. Its output is random words: it has never been trained.
 */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildTinyVocab } from './tiny-vocab.js';
import { encodeGguf, type GgufTensor, type GgufValue } from './writer.js';

export interface TinyModelOptions {
  /** Seed of the weights; the same seed gives a byte-identical file. Default 1. */
  seed?: number;
  /** Marks the model as an embedding model (mean pooling); it can still generate. */
  embedding?: boolean;
  /** Training context length written into the metadata. Default 2048. */
  contextLength?: number;
  /**
   * `sometimes` (default): replies end on their own after a few dozen tokens. `never`: the
   * end-of-turn token is suppressed, so generation always runs to maxTokens (for benchmarks).
   */
  endOfTurn?: 'sometimes' | 'never';
  /**
   * `eager`: the model opens every reply with a function call when functions are offered
   * (node-llama-cpp's generic `||call:` syntax), so tool calling can be exercised end to end.
   * Default `never`.
   */
  toolCalls?: 'never' | 'eager';
}

/** ChatML: recognised by node-llama-cpp and llama.cpp alike. */
export const TINY_CHAT_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']" +
  " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}" +
  "{{ '<|im_start|>assistant\\n' }}{% endif %}";

const DIMS = { embd: 64, layers: 2, heads: 4, headsKv: 4, ff: 128 } as const;
/** Residual channel 0 carries a constant; the output layer reads it as a per-token bias. */
const BIAS_CHANNEL_VALUE = 2;
const SUPPRESSED_BIAS = -12;
/** Tuned so that sampled replies end on their own after a few dozen tokens on average. */
const END_OF_TURN_BIAS = 0.9;
/** Large enough that a tool-eager model always picks the call prefix when it is allowed. */
const CALL_PREFIX_BIAS = 8;

/** mulberry32: tiny, fast and good enough for weights nobody trains. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniform(rand: () => number, count: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

const ones = (n: number): Float32Array => new Float32Array(n).fill(1);

function buildTensors(
  rand: () => number,
  nVocab: number,
  bias: Float32Array,
  biasChannel: boolean,
): GgufTensor[] {
  const { embd, layers, heads, headsKv, ff } = DIMS;
  const kvDim = (embd / heads) * headsKv;

  const tokenEmbd = uniform(rand, embd * nVocab, 0.5);
  // Embedding models skip the constant channel: it would make every pooled vector alike.
  if (biasChannel) for (let t = 0; t < nVocab; t++) tokenEmbd[t * embd] = BIAS_CHANNEL_VALUE;
  const output = uniform(rand, embd * nVocab, 0.6);
  for (let t = 0; t < nVocab; t++) output[t * embd] = bias[t]!;

  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [embd, nVocab], data: tokenEmbd },
    { name: 'output_norm.weight', dims: [embd], data: ones(embd) },
    { name: 'output.weight', dims: [embd, nVocab], data: output },
  ];
  const proj = 1 / Math.sqrt(embd);
  for (let l = 0; l < layers; l++) {
    const attnOut = uniform(rand, embd * embd, proj);
    const ffnDown = uniform(rand, ff * embd, 1 / Math.sqrt(ff));
    // Row 0 of each residual writer stays zero so the bias channel survives every layer.
    attnOut.fill(0, 0, embd);
    ffnDown.fill(0, 0, ff);
    tensors.push(
      { name: `blk.${l}.attn_norm.weight`, dims: [embd], data: ones(embd) },
      {
        name: `blk.${l}.attn_q.weight`,
        dims: [embd, embd],
        data: uniform(rand, embd * embd, proj),
      },
      {
        name: `blk.${l}.attn_k.weight`,
        dims: [embd, kvDim],
        data: uniform(rand, embd * kvDim, proj),
      },
      {
        name: `blk.${l}.attn_v.weight`,
        dims: [embd, kvDim],
        data: uniform(rand, embd * kvDim, proj),
      },
      { name: `blk.${l}.attn_output.weight`, dims: [embd, embd], data: attnOut },
      { name: `blk.${l}.ffn_norm.weight`, dims: [embd], data: ones(embd) },
      { name: `blk.${l}.ffn_gate.weight`, dims: [embd, ff], data: uniform(rand, embd * ff, proj) },
      { name: `blk.${l}.ffn_up.weight`, dims: [embd, ff], data: uniform(rand, embd * ff, proj) },
      { name: `blk.${l}.ffn_down.weight`, dims: [ff, embd], data: ffnDown },
    );
  }
  return tensors;
}

/** Builds the GGUF bytes of the tiny model. */
export function buildTinyModel(options: TinyModelOptions = {}): Buffer {
  const seed = options.seed ?? 1;
  const ctx = options.contextLength ?? 2048;
  const vocab = buildTinyVocab();
  const n = vocab.tokens.length;
  const { embd, layers, heads, headsKv, ff } = DIMS;

  const bias = new Float32Array(n);
  for (const id of vocab.suppressedIds) bias[id] = SUPPRESSED_BIAS;
  bias[vocab.eosId] = SUPPRESSED_BIAS;
  bias[vocab.eotId] = options.endOfTurn === 'never' ? SUPPRESSED_BIAS : END_OF_TURN_BIAS;
  bias[vocab.callPrefixId] = options.toolCalls === 'eager' ? CALL_PREFIX_BIAS : SUPPRESSED_BIAS;

  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const str = (value: string): GgufValue => ({ type: 'string', value });
  const meta = new Map<string, GgufValue>([
    ['general.architecture', str('llama')],
    ['general.type', str('model')],
    ['general.name', str(options.embedding ? 'llamagate-tiny-embed' : 'llamagate-tiny-random')],
    ['general.description', str('Untrained model with random weights; its output is noise.')],
    ['general.alignment', u32(32)],
    ['llama.context_length', u32(ctx)],
    ['llama.embedding_length', u32(embd)],
    ['llama.block_count', u32(layers)],
    ['llama.feed_forward_length', u32(ff)],
    ['llama.attention.head_count', u32(heads)],
    ['llama.attention.head_count_kv', u32(headsKv)],
    ['llama.rope.dimension_count', u32(embd / heads)],
    ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: 1e-5 }],
    ['llama.vocab_size', u32(n)],
    ['tokenizer.ggml.model', str('llama')],
    ['tokenizer.ggml.pre', str('default')],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: vocab.types }],
    ['tokenizer.ggml.bos_token_id', u32(vocab.bosId)],
    ['tokenizer.ggml.eos_token_id', u32(vocab.eosId)],
    ['tokenizer.ggml.eot_token_id', u32(vocab.eotId)],
    ['tokenizer.ggml.unknown_token_id', u32(vocab.unkId)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', str(TINY_CHAT_TEMPLATE)],
  ]);
  if (options.embedding) meta.set('llama.pooling_type', u32(1));

  return encodeGguf(meta, buildTensors(seededRandom(seed), n, bias, !options.embedding));
}

/** Writes the tiny model to `path` atomically (temp file + rename). */
export async function writeTinyModel(path: string, options: TinyModelOptions = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, buildTinyModel(options));
  await rename(tmp, path);
}

/**
 * Returns the path of the tiny model cached in `dataDir`, generating it when missing. The file
 * name carries the options, so a chat and an embedding variant can live side by side.
 */
export async function ensureTinyModel(
  dataDir: string,
  options: TinyModelOptions = {},
): Promise<string> {
  const kind = options.embedding
    ? 'embed'
    : (options.endOfTurn === 'never' ? 'endless' : 'chat') +
      (options.toolCalls === 'eager' ? '-tools' : '');
  const ctx = options.contextLength ? `-c${options.contextLength}` : '';
  const name = `tiny-${kind}-s${options.seed ?? 1}${ctx}.gguf`;
  const path = join(dataDir, 'models', name);
  const exists = await stat(path).then(
    (s) => s.isFile() && s.size > 0,
    () => false,
  );
  if (!exists) await writeTinyModel(path, options);
  return path;
}
