/** Model metadata and deterministic embeddings for the Ollama stand-in. */
import { createHash } from 'node:crypto';

export interface StandinModel {
  name: string;
  /** `details.family`; a family containing `bert` marks an embedding model, as in Ollama. */
  family: string;
  embedding?: boolean;
  /** Embedding vector size (default 384). */
  dimensions?: number;
}

const MODIFIED_AT = '2025-09-20T08:12:44.1+02:00';

/** One `/api/tags` (and `/api/ps`) entry. */
export function modelTag(m: StandinModel): Record<string, unknown> {
  return {
    name: m.name,
    model: m.name,
    modified_at: MODIFIED_AT,
    size: m.embedding ? 45_960_996 : 2_019_393_189,
    digest: createHash('sha256').update(m.name).digest('hex'),
    details: {
      parent_model: '',
      format: 'gguf',
      family: m.family,
      families: [m.family],
      parameter_size: m.embedding ? '23M' : '3.2B',
      quantization_level: m.embedding ? 'F16' : 'Q4_K_M',
    },
  };
}

/** One `/api/ps` entry: a tag plus residency fields. */
export function runningModel(m: StandinModel): Record<string, unknown> {
  const tag = modelTag(m);
  const expires = new Date(Date.now() + 5 * 60_000).toISOString();
  return { ...tag, expires_at: expires, size_vram: tag.size, context_length: 4096 };
}

/** The `/api/show` reply. */
export function showModel(m: StandinModel): Record<string, unknown> {
  const tag = modelTag(m);
  return {
    modelfile: `FROM ${m.name}\n`,
    parameters: m.embedding ? '' : 'stop "<|start_header_id|>"\nstop "<|eot_id|>"',
    template: m.embedding ? '{{ .Prompt }}' : '{{ .System }}{{ .Prompt }}',
    details: tag.details,
    model_info: {
      'general.architecture': m.family,
      [`${m.family}.context_length`]: m.embedding ? 512 : 131072,
      [`${m.family}.embedding_length`]: m.embedding ? (m.dimensions ?? 384) : 3072,
    },
    capabilities: m.embedding ? ['embedding'] : ['completion', 'tools'],
    modified_at: MODIFIED_AT,
  };
}

const cache = new Map<string, number[]>();

/** Deterministic unit vectors derived from the text, so equal inputs give equal vectors. */
function vectorFor(text: string, size: number): number[] {
  const key = `${size}|${text}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let seed = createHash('sha256').update(text).digest().readUInt32LE(0);
  const raw: number[] = [];
  for (let i = 0; i < size; i++) {
    // mulberry32: tiny, deterministic, good enough spread for tests.
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    raw.push(((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5);
  }
  const vector = normalise(raw);
  if (cache.size < 10_000) cache.set(key, vector);
  return vector;
}

function normalise(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((sum, x) => sum + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

/** `/api/embed`: one normalised vector per input, cut to `dimensions` when asked. */
export function embedInputs(
  inputs: string[],
  size: number,
  dimensions: number | undefined,
): { embeddings: number[][]; tokens: number } {
  const embeddings = inputs.map((text) => {
    const full = vectorFor(text, size);
    return dimensions && dimensions < size ? normalise(full.slice(0, dimensions)) : full;
  });
  const tokens = inputs.reduce((n, text) => n + Math.max(1, text.split(/\s+/).length) + 2, 0);
  return { embeddings, tokens };
}
