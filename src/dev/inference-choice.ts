import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { request } from 'undici';
import { ConfigError } from '../errors/errors.js';
import { resolveOllamaModel } from '../providers/llama-cpp/ollama-store.js';
import { ensureTinyModel } from '../providers/llama-cpp/gguf/tiny-model.js';

/** What `llamagate dev` serves inference with, and what to tell the user about it. */
export type InferenceChoice =
  | { kind: 'ollama'; url: string; models: string[] }
  | {
      kind: 'llama-cpp';
      modelId: string;
      config: { model_path?: string; ollama_model?: string; max_tokens?: number };
      notice?: string;
    };

export const TINY_MODEL_ID = 'tiny-random';

/**
 * Reply length of the tiny model when a request sets none. Its variant never emits end-of-turn:
 * the chatty variant often picks end-of-turn first under greedy decoding (the 0.2.x API's
 * default), and an empty answer to the first curl would look like a broken install.
 */
export const TINY_MAX_TOKENS = 32;
/** Untrained weights loop under greedy decoding; this seed loops over a dozen different words. */
const TINY_SEED = 7;

export const TINY_NOTICE =
  "No Ollama answered and no model file was found, so the embedded engine runs 'tiny-random': " +
  'a generated test model that produces RANDOM TEXT. ' +
  'For real answers run `ollama pull llama3.2:3b` ' +
  'with Ollama running, or set LLAMA_CPP_MODEL=/path/to/model.gguf, then restart.';

/** Lists Ollama's local models, or returns undefined when nothing answers at `url`. */
export async function probeOllama(url: string, timeoutMs = 1500): Promise<string[] | undefined> {
  try {
    const res = await request(new URL('/api/tags', url), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return undefined;
    }
    const body = (await res.body.json()) as { models?: Array<{ name?: string }> };
    return (body.models ?? []).flatMap((m) => (m.name ? [m.name] : []));
  } catch {
    return undefined;
  }
}

/**
 * Ollama when it answers (as in the tutorial); otherwise the embedded engine with, in order, the
 * user's GGUF file, the wanted model from a local Ollama store, or the generated tiny model.
 */
export async function chooseInference(
  env: Record<string, string | undefined>,
  dataDir: string,
): Promise<InferenceChoice> {
  const ollamaUrl = env.OLLAMA_URL || 'http://localhost:11434';
  const models = await probeOllama(ollamaUrl);
  if (models) return { kind: 'ollama', url: ollamaUrl, models };

  const file = env.LLAMA_CPP_MODEL;
  // Said here, in the variable's own name: the stack server would only know it as model_path.
  if (file && !existsSync(file)) {
    throw new ConfigError(
      `LLAMA_CPP_MODEL=${file}: no such file. Point it at a .gguf model file, or unset it to ` +
        "use Ollama's model store or the generated test model.",
    );
  }
  if (file)
    return {
      kind: 'llama-cpp',
      modelId: basename(file).replace(/\.gguf$/i, ''),
      config: { model_path: file },
    };

  const wanted = env.INFERENCE_MODEL || 'llama3.2:3b';
  const fromStore = await resolveOllamaModel(wanted, env.OLLAMA_MODELS).catch(() => undefined);
  if (fromStore) return { kind: 'llama-cpp', modelId: wanted, config: { ollama_model: wanted } };

  const path = await ensureTinyModel(dataDir, { endOfTurn: 'never', seed: TINY_SEED });
  return {
    kind: 'llama-cpp',
    modelId: TINY_MODEL_ID,
    config: { model_path: path, max_tokens: TINY_MAX_TOKENS },
    notice: TINY_NOTICE,
  };
}
