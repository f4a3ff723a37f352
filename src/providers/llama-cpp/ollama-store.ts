/**
 * Finds the GGUF weights of a model pulled with `ollama pull`, straight from Ollama's on-disk
 * store, so the embedded engine can reuse them without Ollama running.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../errors/errors.js';

const DEFAULT_REGISTRY = 'registry.ollama.ai';
const DEFAULT_NAMESPACE = 'library';
const MODEL_LAYER = 'application/vnd.ollama.image.model';

export interface OllamaModelRef {
  registry: string;
  namespace: string;
  name: string;
  tag: string;
}

/** `llama3.2:3b` -> library/llama3.2 tag 3b; `ns/name` -> tag latest; `host/ns/name:tag` too. */
export function parseOllamaModelName(model: string): OllamaModelRef {
  const colon = model.lastIndexOf(':');
  const hasTag = colon > model.lastIndexOf('/');
  const path = hasTag ? model.slice(0, colon) : model;
  const tag = hasTag ? model.slice(colon + 1) : 'latest';
  const parts = path.split('/');
  const name = parts.pop() ?? path;
  const namespace = parts.pop() ?? DEFAULT_NAMESPACE;
  const registry = parts.pop() ?? DEFAULT_REGISTRY;
  return { registry, namespace, name, tag };
}

/** The store directory: config, then `OLLAMA_MODELS`, then `~/.ollama/models`. */
export function ollamaModelsDir(configured?: string | null): string {
  return configured || process.env.OLLAMA_MODELS || join(homedir(), '.ollama', 'models');
}

export function manifestPath(dir: string, ref: OllamaModelRef): string {
  return join(dir, 'manifests', ref.registry, ref.namespace, ref.name, ref.tag);
}

interface ManifestLayer {
  mediaType?: unknown;
  digest?: unknown;
}

/**
 * Resolves an Ollama model name to the path of its GGUF blob. Throws ConfigError naming the
 * manifest looked for and the `ollama pull` that would fix it.
 */
export async function resolveOllamaModel(
  model: string,
  modelsDir?: string | null,
): Promise<string> {
  const dir = ollamaModelsDir(modelsDir);
  const ref = parseOllamaModelName(model);
  const manifest = manifestPath(dir, ref);
  const pullHint =
    `Run 'ollama pull ${model}' (the store is ${dir}; ` +
    'set models_dir or OLLAMA_MODELS if it lives elsewhere).';

  let text: string;
  try {
    text = await readFile(manifest, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no manifest at' : `cannot read the manifest (${code}) at`;
    throw new ConfigError(`Ollama model '${model}' not found: ${why} ${manifest}. ${pullHint}`, {
      cause: err,
    });
  }

  let layers: ManifestLayer[];
  try {
    const parsed = JSON.parse(text) as { layers?: unknown };
    if (!Array.isArray(parsed.layers)) throw new Error('no layers array');
    layers = parsed.layers as ManifestLayer[];
  } catch (err) {
    throw new ConfigError(
      `Ollama manifest ${manifest} for '${model}' is not valid (${(err as Error).message}). ` +
        pullHint,
      { cause: err },
    );
  }

  const layer = layers.find((l) => l.mediaType === MODEL_LAYER);
  const digest = typeof layer?.digest === 'string' ? layer.digest : undefined;
  const match = digest ? /^sha256:([a-f0-9]{64})$/.exec(digest) : null;
  if (!match) {
    throw new ConfigError(
      `Ollama manifest ${manifest} for '${model}' has no model layer (${MODEL_LAYER}) ` +
        `with a sha256 digest. ${pullHint}`,
    );
  }
  return join(dir, 'blobs', `sha256-${match[1]}`);
}
