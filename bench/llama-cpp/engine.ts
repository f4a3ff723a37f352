/**
 * Embedded-engine overhead: time to first token and decode speed of the generated tiny model,
 * directly through node-llama-cpp, through the inline::llama-cpp provider, and through the HTTP
 * server (OpenAI streaming route), interleaved round by round. Prints a markdown table and
 * writes raw samples to bench/results/llama-cpp-engine.json.
 *
 *   node --import tsx bench/llama-cpp/engine.ts [--rounds 7] [--tokens 128]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getLlama, LlamaChat, LlamaLogLevel, resolveChatWrapper } from 'node-llama-cpp';
import { parseRunConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logging/logger.js';
import { llamaCppProviderFactory, writeTinyModel } from '../../src/providers/llama-cpp/index.js';
import { startStack } from '../../src/stack/index.js';
import { median, round } from '../lib/stats.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, tokens: { type: 'string', default: '128' } },
});
const ROUNDS = Number(args.rounds);
const TOKENS = Number(args.tokens);
const PROMPT = 'Tell me a long story about a llama that guards a gateway.';
const SAMPLING = { temperature: 0.8, topK: 40, topP: 0.95, seed: 1 };
/** The provider sends no repeat penalty unless asked; the direct path must match it. */
const DIRECT_EXTRA = { repeatPenalty: false } as const;

interface Sample {
  ttftMs: number;
  totalMs: number;
  tokens: number;
  /** Tokens after the first, per second of decoding. */
  decodeTps: number;
}

function sample(start: number, first: number, end: number, tokens: number): Sample {
  const decode = (end - first) / 1000;
  return {
    ttftMs: first - start,
    totalMs: end - start,
    tokens,
    decodeTps: decode > 0 ? (tokens - 1) / decode : NaN,
  };
}

const dir = await mkdtemp(join(tmpdir(), 'llamagate-bench-'));
const modelPath = join(dir, 'endless.gguf');
await writeTinyModel(modelPath, { seed: 1, endOfTurn: 'never' });

// Direct: the same settings the provider picks for a tiny model (one thread, 2048 context).
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.warn });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({ contextSize: 2048, sequences: 1, threads: 1 });
// Resolved once, as the provider does: resolving per request re-reads the template (~10 ms).
const chatWrapper = resolveChatWrapper(model);

async function direct(): Promise<Sample> {
  const sequence = context.getSequence();
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
  const start = performance.now();
  let first = 0;
  let tokens = 0;
  await chat.generateResponse(
    [
      { type: 'user', text: PROMPT },
      { type: 'model', response: [] },
    ],
    {
      ...SAMPLING,
      maxTokens: TOKENS,
      onToken: (t) => (tokens += t.length),
      onTextChunk: () => (first ||= performance.now()),
    },
  );
  const end = performance.now();
  chat.dispose({ disposeSequence: false });
  await sequence.dispose();
  return sample(start, first, end, tokens);
}

const log = silentLogger();
const providerConfig = { model_path: modelPath, max_parallel: 1, context_size: 2048 };
const provider = llamaCppProviderFactory.create(
  'bench',
  llamaCppProviderFactory.configSchema.parse(providerConfig),
  { log, dataDir: dir },
);
await provider.start([]);

async function viaProvider(): Promise<Sample> {
  const start = performance.now();
  let first = 0;
  let tokens = 0;
  const events = await provider.chat(
    {
      model: 'endless',
      messages: [{ role: 'user', content: PROMPT }],
      sampling: { ...SAMPLING, maxTokens: TOKENS },
      stream: true,
    },
    { signal: new AbortController().signal, log, requestId: 'bench' },
  );
  for await (const e of events) {
    if (e.type === 'text') first ||= performance.now();
    if (e.type === 'done') tokens = e.usage.completionTokens;
  }
  return sample(start, first, performance.now(), tokens);
}

const yaml = `version: 2
apis: [inference]
providers:
  inference:
    - provider_id: local
      provider_type: inline::llama-cpp
      config: {model_path: ${modelPath}, max_parallel: 1, context_size: 2048}
models:
  - model_id: endless
    provider_id: local
    provider_model_id: endless
`;
const stack = await startStack(parseRunConfig(yaml, join(dir, 'run.yaml'), { env: {} }), {
  port: 0,
  host: '127.0.0.1',
  log,
  dataDir: dir,
});

async function viaHttp(): Promise<Sample> {
  const start = performance.now();
  const res = await fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'endless',
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: TOKENS,
      temperature: SAMPLING.temperature,
      top_p: SAMPLING.topP,
      seed: SAMPLING.seed,
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let first = 0;
  let tokens = 0;
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let cut: number;
    while ((cut = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, cut);
      buffered = buffered.slice(cut + 2);
      if (!block.startsWith('data: ') || block === 'data: [DONE]') continue;
      const data = JSON.parse(block.slice(6));
      if (data.choices?.[0]?.delta?.content) first ||= performance.now();
      if (data.usage) tokens = data.usage.completion_tokens;
    }
  }
  return sample(start, first, performance.now(), tokens);
}

const paths = { direct, provider: viaProvider, http: viaHttp } as const;
type PathName = keyof typeof paths;
const results: Record<PathName, Sample[]> = { direct: [], provider: [], http: [] };

for (const run of Object.values(paths)) await run(); // warm-up, not recorded
for (let r = 0; r < ROUNDS; r++) {
  // Rotate the order each round so drift (thermal, neighbours) spreads evenly.
  const names = Object.keys(paths) as PathName[];
  const order = names.map((_, i) => names[(i + r) % names.length]!);
  for (const name of order) results[name].push(await paths[name]());
}

const med = (name: PathName, key: keyof Sample) => median(results[name].map((s) => s[key]));
const rows = (Object.keys(paths) as PathName[]).map((name) => ({
  path: name,
  ttftMs: round(med(name, 'ttftMs'), 2),
  decodeTps: round(med(name, 'decodeTps'), 0),
  totalMs: round(med(name, 'totalMs'), 1),
  tokens: med(name, 'tokens'),
}));
const ratio = (name: PathName, key: 'ttftMs' | 'decodeTps') =>
  round(med(name, key) / med('direct', key), 3);

const lines = [
  `Tiny generated model (llama arch, 64-dim, 2 layers), ${TOKENS} tokens, ${ROUNDS} rounds, medians.`,
  '',
  '| path | TTFT ms | decode tok/s | total ms | tokens | TTFT ratio vs direct | tok/s ratio vs direct |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.path} | ${r.ttftMs} | ${r.decodeTps} | ${r.totalMs} | ${r.tokens} | ${ratio(r.path as PathName, 'ttftMs')} | ${ratio(r.path as PathName, 'decodeTps')} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);

await mkdir('bench/results', { recursive: true });
await writeFile(
  'bench/results/llama-cpp-engine.json',
  `${JSON.stringify(
    {
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg() },
      node: process.version,
      tokens: TOKENS,
      rounds: ROUNDS,
      medians: rows,
      ratios: {
        provider: { ttft: ratio('provider', 'ttftMs'), decodeTps: ratio('provider', 'decodeTps') },
        http: { ttft: ratio('http', 'ttftMs'), decodeTps: ratio('http', 'decodeTps') },
      },
      samples: results,
    },
    null,
    2,
  )}\n`,
);

await stack.close();
await provider.close();
await context.dispose();
await model.dispose();
await rm(dir, { recursive: true, force: true });
