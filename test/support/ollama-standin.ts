/**
 * A stand-in Ollama server for tests and benchmarks: a real HTTP server on 127.0.0.1:0 speaking
 * Ollama's native protocol (NDJSON streaming, `application/x-ndjson`, final-line metrics, the
 * documented error bodies and statuses of a mid-2025 server).
 *
 *   const ollama = await startOllamaStandin();            // llama3.2:3b + all-minilm:l6-v2
 *   ollama.script({ reply: 'Bonjour à tous', tokenDelayMs: 20 });      // next request
 *   ollama.script({ model: 'llama3.2:3b', times: Infinity, reply: 'x' }); // every request for it
 *   ollama.script({ toolCalls: [{ name: 'lookup_city', arguments: { city: 'Lyon' } }] });
 *   ollama.script({ chunks: [5, 17], reply: 'é…' });     // cut the raw bytes at these offsets
 *   ollama.script({ status: 503, error: 'server busy, please try again.  maximum pending requests exceeded' });
 *   ollama.script({ errorAfterTokens: 2, error: 'runner crashed' });   // {"error":...} line
 *   ollama.script({ dropAfterTokens: 2 }); ollama.script({ hang: true }); ollama.script({ omitDone: true });
 *   ollama.requests[0].body.options;                      // what the client sent
 *   await ollama.requests[0].outcome;                     // 'aborted' if the client hung up
 *   await ollama.close();
 *
 * Without a script, chat answers `reply` (default "Hello! Happy to help.") as one write, from
 * buffers built once per model, so benchmarks measure the gateway rather than the stand-in.
 * `options.num_predict` shorter than the reply truncates it with `done_reason: "length"`.
 * See StandinScript (standin-common.ts) for every scripting field.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ScriptQueue,
  sameModel,
  sendJson,
  startRecordingServer,
  tokenize,
  writeFrames,
} from './standin-common.js';
import type { RecordedRequest, StandinScript } from './standin-common.js';
import { embedInputs, modelTag, runningModel, showModel } from './ollama-standin-models.js';
import type { StandinModel } from './ollama-standin-models.js';

export type { RecordedRequest, StandinScript } from './standin-common.js';
export type { StandinModel } from './ollama-standin-models.js';

export interface OllamaStandinOptions {
  /** Local models (GET /api/tags); default llama3.2:3b and all-minilm:l6-v2. */
  models?: StandinModel[];
  /** Default answer text. */
  reply?: string;
  /** GET /api/version. */
  version?: string;
  /** Fixed port (e.g. to bring a "restarted" Ollama back where a client expects it); default any. */
  port?: number;
  /** false: keep no request log (long benchmarks); default true. */
  recordRequests?: boolean;
}

export interface OllamaStandin {
  url: string;
  requests: RecordedRequest[];
  /** Mutable: add or remove models while running. */
  models: StandinModel[];
  script(...scripts: StandinScript[]): void;
  clearScripts(): void;
  close(): Promise<void>;
}

export const DEFAULT_MODELS: StandinModel[] = [
  { name: 'llama3.2:3b', family: 'llama' },
  { name: 'all-minilm:l6-v2', family: 'bert', embedding: true, dimensions: 384 },
];

const NDJSON = 'application/x-ndjson';

/** Starts the stand-in; see the file comment for the scripting API. */
export async function startOllamaStandin(
  options: OllamaStandinOptions = {},
): Promise<OllamaStandin> {
  const models = [...(options.models ?? DEFAULT_MODELS)];
  const scripts = new ScriptQueue();
  const loaded = new Set<string>();
  const defaultReply = options.reply ?? 'Hello! Happy to help.';
  const prebuilt = new Map<string, Buffer>();
  const framesOf = new WeakMap<StandinScript, Map<string, Buffer[]>>();

  const find = (name: string) => models.find((m) => sameModel(m.name, name));

  function handle(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): void {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (path === '/' && (method === 'GET' || method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end(method === 'HEAD' ? undefined : 'Ollama is running');
    }
    if (method === 'GET' && path === '/api/tags') {
      return sendJson(res, 200, { models: models.map(modelTag) });
    }
    if (method === 'GET' && path === '/api/ps') {
      const running = models.filter((m) => loaded.has(m.name)).map(runningModel);
      return sendJson(res, 200, { models: running });
    }
    if (method === 'GET' && path === '/api/version') {
      return sendJson(res, 200, { version: options.version ?? '0.12.0' });
    }
    if (method === 'POST' && ENDPOINTS.has(path!)) return void post(path!, res, rec);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found');
  }

  async function post(path: string, res: ServerResponse, rec: RecordedRequest): Promise<void> {
    if (!rec.raw) return sendJson(res, 400, { error: 'missing request body' });
    if (rec.body === undefined || typeof rec.body !== 'object' || rec.body === null) {
      return sendJson(res, 400, { error: 'invalid character looking for beginning of value' });
    }
    const body = rec.body as Record<string, unknown>;
    const typeError = checkTypes(body);
    if (typeError) return sendJson(res, 400, { error: typeError });
    const name = typeof body.model === 'string' ? body.model : (body.name as string | undefined);
    if (!name) return sendJson(res, 400, { error: 'model is required' });
    if (path === '/api/show') return showReply(res, find(name), name);

    const model = find(name);
    if (!model) return sendJson(res, 404, { error: notFound(path, name) });
    const stop = (body.options as Record<string, unknown> | undefined)?.stop;
    if (stop !== undefined && !Array.isArray(stop)) {
      return sendJson(res, 500, { error: 'option "stop" must be of type array' });
    }
    const script = scripts.take(name) ?? {};
    if (script.hang) return;
    if (script.status) {
      return sendJson(res, script.status, { error: script.error ?? 'scripted failure' });
    }
    loaded.add(model.name);
    if (path === '/api/embed') return embedReply(res, body, model, script);
    return generateReply(path === '/api/chat' ? 'chat' : 'generate', res, body, script);
  }

  function embedReply(
    res: ServerResponse,
    body: Record<string, unknown>,
    model: StandinModel,
    script: StandinScript,
  ): void {
    const input = typeof body.input === 'string' ? [body.input] : (body.input ?? []);
    if (!Array.isArray(input) || input.some((i) => typeof i !== 'string')) {
      return sendJson(res, 400, { error: 'invalid input type' });
    }
    const dims = typeof body.dimensions === 'number' ? body.dimensions : undefined;
    const { embeddings, tokens } = embedInputs(input as string[], model.dimensions ?? 384, dims);
    sendJson(res, 200, {
      model: model.name,
      embeddings,
      total_duration: 14_000_000,
      load_duration: 1_000_000,
      prompt_eval_count: script.promptTokens ?? tokens,
    });
  }

  function generateReply(
    kind: 'chat' | 'generate',
    res: ServerResponse,
    body: Record<string, unknown>,
    script: StandinScript,
  ): void {
    const model = body.model as string;
    const stream = body.stream !== false;
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const loadOnly = kind === 'chat' ? messages.length === 0 : !body.prompt;
    const isDefault = Object.keys(script).length === 0 && !loadOnly;
    const limit = (body.options as { num_predict?: unknown } | undefined)?.num_predict;
    const key = `${kind}|${model}|${stream}|${String(limit)}`;
    const cached = isDefault ? prebuilt.get(key) : undefined;
    if (cached) {
      res.writeHead(200, { 'content-type': stream ? NDJSON : 'application/json; charset=utf-8' });
      return void res.end(cached);
    }
    const reused = stream && script.reuseFrames ? framesOf.get(script)?.get(key) : undefined;
    const answer = reused ? undefined : planAnswer(kind, body, script, loadOnly, defaultReply);
    const frames =
      reused ??
      (stream ? streamFrames(kind, model, answer!, script) : [finalObject(kind, model, answer!)]);
    if (stream && script.reuseFrames && !reused) {
      const byKey = framesOf.get(script) ?? new Map<string, Buffer[]>();
      framesOf.set(script, byKey.set(key, frames));
    }
    if (!stream) {
      const data = frames[0]!;
      if (isDefault) prebuilt.set(key, data);
      return sendJson(res, 200, data.toString('utf8'));
    }
    if (isDefault) prebuilt.set(key, Buffer.concat(frames));
    res.writeHead(200, { 'content-type': NDJSON });
    const drop = script.dropAfterTokens !== undefined;
    void writeFrames(res, frames, script, { drop });
  }

  const server = await startRecordingServer(handle, options.port, options.recordRequests ?? true);
  return {
    url: server.url,
    requests: server.requests,
    models,
    script: (...s) => scripts.add(...s),
    clearScripts: () => scripts.clear(),
    close: server.close,
  };
}

const ENDPOINTS = new Set(['/api/chat', '/api/generate', '/api/embed', '/api/show']);

/** The wording differs per endpoint in mid-2025 servers (spec §11.2). */
function notFound(path: string, name: string): string {
  return path === '/api/generate'
    ? `model '${name}' not found`
    : `model "${name}" not found, try pulling it first`;
}

function showReply(res: ServerResponse, model: StandinModel | undefined, name: string): void {
  if (!model) return sendJson(res, 404, { error: `model '${name}' not found` });
  sendJson(res, 200, showModel(model));
}

/** Go's decoder rejects what its struct types cannot hold; the one clients get wrong is arguments. */
function checkTypes(body: Record<string, unknown>): string | undefined {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (const m of messages as { tool_calls?: { function?: { arguments?: unknown } }[] }[]) {
    for (const call of m?.tool_calls ?? []) {
      const args = call.function?.arguments;
      if (args !== undefined && (typeof args !== 'object' || Array.isArray(args))) {
        return `json: cannot unmarshal ${Array.isArray(args) ? 'array' : typeof args} into Go struct field ToolCallFunction.messages.tool_calls.function.arguments of type api.ToolCallFunctionArguments`;
      }
    }
  }
  return undefined;
}

interface Answer {
  tokens: string[];
  toolCalls: StandinScript['toolCalls'];
  doneReason: string;
  promptTokens: number;
  loadOnly: boolean;
}

function planAnswer(
  kind: 'chat' | 'generate',
  body: Record<string, unknown>,
  script: StandinScript,
  loadOnly: boolean,
  defaultReply: string,
): Answer {
  const promptText =
    kind === 'chat' ? JSON.stringify(body.messages ?? []) : String(body.prompt ?? '');
  const promptTokens = script.promptTokens ?? 10 + tokenize(promptText).length;
  if (loadOnly) {
    const doneReason = body.keep_alive === 0 || body.keep_alive === '0' ? 'unload' : 'load';
    return { tokens: [], toolCalls: undefined, doneReason, promptTokens: 0, loadOnly };
  }
  let tokens = script.tokens ?? tokenize(script.reply ?? (script.toolCalls ? '' : defaultReply));
  let doneReason = script.doneReason ?? 'stop';
  const limit = (body.options as { num_predict?: unknown } | undefined)?.num_predict;
  if (typeof limit === 'number' && limit >= 0 && limit < tokens.length) {
    tokens = tokens.slice(0, limit);
    doneReason = script.doneReason ?? 'length';
  }
  return { tokens, toolCalls: script.toolCalls, doneReason, promptTokens, loadOnly };
}

const now = () => new Date().toISOString();

function toolCallsJson(calls: NonNullable<StandinScript['toolCalls']>) {
  return calls.map((c, index) => ({
    ...(c.id ? { id: c.id } : {}),
    function: { index, name: c.name, arguments: c.arguments },
  }));
}

function line(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value)}\n`);
}

function deltaLine(kind: 'chat' | 'generate', model: string, text: string, extra = {}): Buffer {
  if (kind === 'generate')
    return line({ model, created_at: now(), response: text, done: false, ...extra });
  return line({
    model,
    created_at: now(),
    message: { role: 'assistant', content: text, ...extra },
    done: false,
  });
}

function streamFrames(
  kind: 'chat' | 'generate',
  model: string,
  a: Answer,
  s: StandinScript,
): Buffer[] {
  const cutAt = s.errorAfterTokens ?? s.dropAfterTokens;
  const tokens = cutAt === undefined ? a.tokens : a.tokens.slice(0, cutAt);
  const frames = tokens.map((t) => deltaLine(kind, model, t));
  if (s.errorAfterTokens !== undefined) {
    frames.push(line({ error: s.error ?? 'an error was encountered while running the model' }));
    return frames;
  }
  if (s.dropAfterTokens !== undefined) return frames;
  if (a.toolCalls && a.toolCalls.length > 0) {
    const calls = { tool_calls: toolCallsJson(a.toolCalls) };
    frames.push(
      kind === 'chat'
        ? deltaLine(kind, model, '', calls)
        : line({ model, created_at: now(), response: '', done: false, ...calls }),
    );
  }
  if (!s.omitDone) frames.push(line(finalFields(kind, model, a, s, '')));
  return frames;
}

function finalObject(kind: 'chat' | 'generate', model: string, a: Answer): Buffer {
  const body = finalFields(kind, model, a, {}, a.tokens.join(''));
  if (a.toolCalls && a.toolCalls.length > 0) {
    const calls = toolCallsJson(a.toolCalls);
    if (kind === 'chat') (body.message as Record<string, unknown>).tool_calls = calls;
    else body.tool_calls = calls;
  }
  return Buffer.from(JSON.stringify(body));
}

function finalFields(
  kind: 'chat' | 'generate',
  model: string,
  a: Answer,
  s: StandinScript,
  text: string,
): Record<string, unknown> {
  const head: Record<string, unknown> =
    kind === 'chat'
      ? { model, created_at: now(), message: { role: 'assistant', content: text } }
      : { model, created_at: now(), response: text };
  if (a.loadOnly) return { ...head, done: true, done_reason: a.doneReason };
  const evalCount = s.completionTokens ?? Math.max(1, a.tokens.length);
  return {
    ...head,
    done: true,
    done_reason: a.doneReason,
    ...(kind === 'generate' ? { context: [128006, 882, 128007, 271, 9906] } : {}),
    total_duration: 2_389_000_000,
    load_duration: 41_000_000,
    prompt_eval_count: a.promptTokens,
    prompt_eval_duration: 120_000_000,
    eval_count: evalCount,
    eval_duration: 2_180_000_000,
  };
}
