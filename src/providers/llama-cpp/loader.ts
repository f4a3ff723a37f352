/**
 * Start-up of the embedded engine: find the GGUF file, check it, load it and create the context
 * the provider generates with. Every problem the user must fix becomes a ConfigError.
 */
import { resolve } from 'node:path';
import {
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaEmbeddingContext,
  type LlamaModel,
} from 'node-llama-cpp';
import { ConfigError } from '../../errors/errors.js';
import type { Logger } from '../../logging/logger.js';
import { DEFAULT_CONTEXT_SIZE, type LlamaCppConfig } from './config.js';
import { acquireRuntime, loadModel } from './engine.js';
import { inspectModelFile } from './model-file.js';
import {
  manifestPath,
  ollamaModelsDir,
  parseOllamaModelName,
  resolveOllamaModel,
} from './ollama-store.js';

/** Below this size a model is so small that thread hand-offs cost more than they save. */
const SINGLE_THREAD_BELOW_BYTES = 64 * 1024 * 1024;

export interface LoadedEngine {
  llama: Llama;
  model: LlamaModel;
  /** Set for chat models. */
  context?: LlamaContext;
  chatWrapper?: ChatWrapper;
  /** Set for embedding models. */
  embeddingContext?: LlamaEmbeddingContext;
  contextSize: number;
  threads: number | undefined;
  path: string;
  dispose(): Promise<void>;
}

/** Where the model file is and how to describe its origin in messages. */
export async function locateModel(
  providerId: string,
  config: LlamaCppConfig,
): Promise<{ path: string; origin: string }> {
  if (config.ollama_model) {
    const path = await resolveOllamaModel(config.ollama_model, config.models_dir);
    const manifest = manifestPath(
      ollamaModelsDir(config.models_dir),
      parseOllamaModelName(config.ollama_model),
    );
    return { path, origin: `ollama_model '${config.ollama_model}' via ${manifest}` };
  }
  return {
    path: resolve(config.model_path ?? ''),
    origin: `model_path of provider '${providerId}'`,
  };
}

/** Loads the model and its context. `onProgress` sees load progress from 0 to 1. */
export async function loadEngine(
  providerId: string,
  config: LlamaCppConfig,
  embedding: boolean,
  log: Logger,
): Promise<LoadedEngine> {
  const { path, origin } = await locateModel(providerId, config);
  const file = await inspectModelFile(path, origin);
  const runtime = await acquireRuntime(config.gpu === false ? false : 'auto', log);
  const cleanup: (() => Promise<void> | void)[] = [runtime.release];
  const dispose = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };

  try {
    if (config.gpu === true && runtime.llama.gpu === false) {
      throw new ConfigError(
        `Provider '${providerId}' has gpu: true, but no GPU backend (CUDA, Vulkan or Metal) is ` +
          'usable on this machine. Set gpu: auto (GPU when available) or gpu: false.',
      );
    }
    const started = Date.now();
    const model = await loadModel(
      runtime.llama,
      {
        path,
        origin,
        gpuLayers: config.gpu === false ? 0 : (config.gpu_layers ?? 'auto'),
      },
      log,
    );
    cleanup.push(() => model.dispose());

    const contextSize =
      config.context_size ?? Math.min(DEFAULT_CONTEXT_SIZE, model.trainContextSize);
    const threads = config.threads ?? (file.sizeBytes < SINGLE_THREAD_BELOW_BYTES ? 1 : undefined);
    const threadOption = threads === undefined ? {} : { threads };
    const engine: LoadedEngine = {
      llama: runtime.llama,
      model,
      contextSize,
      threads,
      path,
      dispose,
    };
    try {
      if (embedding) {
        engine.embeddingContext = await model.createEmbeddingContext({
          contextSize,
          ...threadOption,
        });
      } else {
        engine.context = await model.createContext({
          contextSize,
          sequences: config.max_parallel,
          ...threadOption,
        });
        engine.chatWrapper = resolveChatWrapper(model);
      }
    } catch (err) {
      throw new ConfigError(
        `Provider '${providerId}': the context for ${path} could not be created ` +
          `(${(err as Error).message}). Lower context_size (${contextSize}) or max_parallel ` +
          `(${config.max_parallel}).`,
        { cause: err },
      );
    }
    log.info(
      {
        model: path,
        ms: Date.now() - started,
        contextSize,
        sequences: embedding ? 1 : config.max_parallel,
        threads: threads ?? 'default',
        gpu: runtime.llama.gpu,
        chatTemplate: engine.chatWrapper?.wrapperName,
        embedding,
      },
      'embedded model ready',
    );
    return engine;
  } catch (err) {
    await dispose();
    throw err;
  }
}
