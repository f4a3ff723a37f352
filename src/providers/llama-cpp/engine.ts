/**
 * The native side: one shared llama.cpp runtime per GPU mode for the whole process (starting it
 * costs seconds and it holds the backends), plus model loading with progress in the logs.
 */
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp';
import { ConfigError } from '../../errors/errors.js';
import type { Logger } from '../../logging/logger.js';

export type GpuMode = false | 'auto';

interface SharedRuntime {
  promise: Promise<Llama>;
  users: number;
}

const runtimes = new Map<string, SharedRuntime>();
/** Recent llama.cpp warnings and errors: its load failures only say why in the log. */
const recentNativeProblems: string[] = [];
const NATIVE_PROBLEMS_KEPT = 8;
let nativeProblemCount = 0;
let nativeLog: Logger | undefined;

function onNativeLog(level: LlamaLogLevel, message: string): void {
  const text = message.trim();
  if (!text) return;
  const problem = level === LlamaLogLevel.error || level === LlamaLogLevel.warn;
  if (problem) {
    recentNativeProblems.push(text);
    nativeProblemCount++;
    if (recentNativeProblems.length > NATIVE_PROBLEMS_KEPT) recentNativeProblems.shift();
  }
  nativeLog?.[problem ? 'warn' : 'debug']({ llamaCpp: level }, text);
}

/** The llama.cpp problems logged since `mark` (at most the last few), for an error message. */
export function nativeProblemsSince(mark: number): string {
  const count = Math.min(nativeProblemCount - mark, recentNativeProblems.length);
  return count > 0 ? recentNativeProblems.slice(-count).join('; ') : '';
}

export function nativeProblemMark(): number {
  return nativeProblemCount;
}

/**
 * Takes a reference on the shared runtime for `gpu`. The runtime outlives its last user: a
 * llama.cpp runtime created after another was disposed no longer routes native logs to its
 * logger, and starting one costs seconds. `disposeRuntimes` ends them all (process shutdown).
 */
export async function acquireRuntime(
  gpu: GpuMode,
  log: Logger,
): Promise<{ llama: Llama; release: () => Promise<void> }> {
  nativeLog = log;
  const key = String(gpu);
  let shared = runtimes.get(key);
  if (!shared) {
    const promise = getLlama({
      gpu,
      // Never compile or download at run time: the prebuilt binaries ship in the npm package.
      build: 'never',
      usePrebuiltBinaries: true,
      skipDownload: true,
      progressLogs: false,
      logLevel: LlamaLogLevel.warn,
      logger: onNativeLog,
    });
    shared = { promise, users: 0 };
    runtimes.set(key, shared);
    promise.catch(() => runtimes.delete(key));
  }
  shared.users++;
  const current = shared;
  let llama: Llama;
  try {
    llama = await current.promise;
  } catch (err) {
    current.users--;
    throw new ConfigError(
      `The embedded llama.cpp runtime could not start (${(err as Error).message}). ` +
        'Reinstall node-llama-cpp (npm ci) so its prebuilt binaries are present.',
      { cause: err },
    );
  }
  let released = false;
  return {
    llama,
    release: async () => {
      if (released) return;
      released = true;
      current.users--;
    },
  };
}

/** Disposes every shared runtime that no provider uses any more. */
export async function disposeRuntimes(): Promise<void> {
  for (const [key, shared] of runtimes) {
    if (shared.users > 0) continue;
    runtimes.delete(key);
    await (await shared.promise.catch(() => undefined))?.dispose();
  }
}

/** Logs load progress at info, at most every 25 % and never twice within a second. */
function progressLogger(log: Logger, path: string): (progress: number) => void {
  let lastStep = -1;
  let lastAt = 0;
  return (progress) => {
    const step = Math.floor(progress * 4);
    const now = Date.now();
    if (step <= lastStep || (now - lastAt < 1000 && progress < 1)) return;
    lastStep = step;
    lastAt = now;
    log.info({ model: path, progress: Math.round(progress * 100) }, 'loading model');
  };
}

export interface LoadModelOptions {
  path: string;
  origin: string;
  gpuLayers: number | 'auto' | 'max';
  signal?: AbortSignal;
}

/**
 * Loads a (pre-checked) GGUF file; a native failure becomes a ConfigError with llama.cpp's
 * reason.
 */
export async function loadModel(
  llama: Llama,
  opts: LoadModelOptions,
  log: Logger,
): Promise<LlamaModel> {
  const mark = nativeProblemMark();
  try {
    return await llama.loadModel({
      modelPath: opts.path,
      gpuLayers: opts.gpuLayers,
      onLoadProgress: progressLogger(log, opts.path),
      ...(opts.signal ? { loadSignal: opts.signal } : {}),
    });
  } catch (err) {
    // llama.cpp's log lines reach JavaScript slightly after the failure itself.
    for (let waited = 0; waited < 300 && nativeProblemMark() === mark; waited += 10) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 10));
    const native = nativeProblemsSince(mark);
    throw new ConfigError(
      `Model file ${opts.path} (${opts.origin}) could not be loaded by llama.cpp: ` +
        `${(err as Error).message}${native ? ` (${native})` : ''}. ` +
        'Check that the file is complete and that its architecture is supported.',
      { cause: err },
    );
  }
}
