/**
 * Starts a real stack server in-process on 127.0.0.1:0 from run.yaml text, with a silent logger
 * unless LLAMAGATE_TEST_LOGS is set.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { parseRunConfig } from '../../src/config/load.js';
import { createLogger, silentLogger } from '../../src/logging/logger.js';
import type { Logger } from '../../src/logging/logger.js';
import { startStack } from '../../src/stack/index.js';
import type { RunningStack } from '../../src/stack/index.js';
import { startOllamaStandin } from './ollama-standin.js';
import type { OllamaStandin, OllamaStandinOptions } from './ollama-standin.js';

export interface TestStackOptions {
  env?: Record<string, string>;
  /** A logger to capture lines with; default silent (or debug with LLAMAGATE_TEST_LOGS). */
  log?: Logger;
}

export async function startTestStack(
  yaml: string,
  options: TestStackOptions = {},
): Promise<RunningStack> {
  const dir = await mkdtemp(join(tmpdir(), 'llamagate-test-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  try {
    const path = join(dir, 'run.yaml');
    await writeFile(path, yaml);
    const loaded = parseRunConfig(yaml, path, { env: options.env ?? {} });
    const log =
      options.log ??
      (process.env.LLAMAGATE_TEST_LOGS ? createLogger({ level: 'debug' }) : silentLogger());
    const stack = await startStack(loaded, { port: 0, host: '127.0.0.1', log, dataDir: dir });
    // The run.yaml and the data directory go with the server, not into the machine's /tmp.
    return { ...stack, close: () => stack.close().finally(removeDir) };
  } catch (err) {
    await removeDir();
    throw err;
  }
}

/** The tutorial's run.yaml shape without auth, pointed at a given Ollama. */
export function ollamaRunYaml(ollamaUrl: string, extra = ''): string {
  return `version: 2
image_name: starter
apis: [inference]
providers:
  inference:
    - provider_id: ollama
      provider_type: remote::ollama
      config:
        url: ${ollamaUrl}
models:
  - model_id: llama3.2:3b
    provider_id: ollama
    provider_model_id: llama3.2:3b
    metadata: {}
  - model_id: all-minilm:l6-v2
    provider_id: ollama
    model_type: embedding
    metadata: {embedding_dimension: 384}
${extra}`;
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as any };
}

/** Reads an SSE body into its `data:` payloads. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}

/** The tutorial's stack (no auth) in front of its own Ollama stand-in. */
export interface OllamaStack {
  ollama: OllamaStandin;
  stack: RunningStack;
}

/**
 * Starts an OllamaStack before the tests of the enclosing suite (or file) and closes it after
 * them; its fields are set once the suite's tests run.
 */
export function ollamaStackForSuite(options?: OllamaStandinOptions): OllamaStack {
  const env = {} as OllamaStack;
  before(async () => {
    env.ollama = await startOllamaStandin(options);
    env.stack = await startTestStack(ollamaRunYaml(env.ollama.url));
  });
  after(async () => {
    await env.stack?.close();
    await env.ollama?.close();
  });
  return env;
}
