/**
 * A stand-in OpenAI-compatible server (OpenAI, vLLM) for tests and benchmarks: a real HTTP server
 * on 127.0.0.1:0 serving `/v1/chat/completions` (JSON, or SSE ending in `data: [DONE]`),
 * `/v1/completions`, `/v1/embeddings` and `/v1/models`, with OpenAI's error envelope.
 *
 *   const api = await startOpenAIStandin({ apiKey: 'sk-test' });  // 401 without that key
 *   api.script({ reply: 'Hi there', tokenDelayMs: 20 });          // same fields as the Ollama stand-in
 *   api.script({ toolCalls: [{ name: 'f', arguments: { x: 1 }, id: 'call_1' }] }); // arguments
 *                                        // are streamed as several string fragments per call
 *   api.script({ errorAfterTokens: 1, error: 'overloaded' });     // `data: {"error":...}`, no [DONE]
 *   api.requests.at(-1)!.headers.authorization;                     // what the client sent
 *
 * Scripts are StandinScript (standin-common.ts); `doneReason` is the `finish_reason`. The
 * request's `max_tokens`/`max_completion_tokens` truncates the reply with `finish_reason: length`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { embedInputs } from './ollama-standin-models.js';
import {
  ScriptQueue,
  sendJson,
  startRecordingServer,
  tokenize,
  writeFrames,
} from './standin-common.js';
import type { RecordedRequest, StandinScript } from './standin-common.js';

export type { RecordedRequest, StandinScript } from './standin-common.js';

export interface OpenAIStandinOptions {
  /** When set, every request must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Served model ids; default a chat model and an embedding model. */
  models?: string[];
  /** Default answer text. */
  reply?: string;
  /** false: `GET /v1/models` answers 404, like servers without a model listing. */
  listModels?: boolean;
  /** false: keep no request log (long benchmarks); default true. */
  recordRequests?: boolean;
}

export interface OpenAIStandin {
  /** Base URL including `/v1`, as OpenAI clients take it. */
  url: string;
  requests: RecordedRequest[];
  models: string[];
  script(...scripts: StandinScript[]): void;
  clearScripts(): void;
  close(): Promise<void>;
}

const SSE = 'text/event-stream; charset=utf-8';
const JSON_TYPE = 'application/json';
let sequence = 0;

function envelope(message: string, type: string, code: string | null) {
  return { error: { message, type, param: null, code } };
}

/** Starts the stand-in; see the file comment for the scripting API. */
export async function startOpenAIStandin(
  options: OpenAIStandinOptions = {},
): Promise<OpenAIStandin> {
  const models = [...(options.models ?? ['gpt-4o-mini', 'text-embedding-3-small'])];
  const scripts = new ScriptQueue();
  const defaultReply = options.reply ?? 'Hello! Happy to help.';

  function handle(req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): void {
    const path = (req.url ?? '/').split('?')[0];
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      const message = req.headers.authorization
        ? 'Incorrect API key provided.'
        : "You didn't provide an API key.";
      return sendJson(
        res,
        401,
        envelope(message, 'invalid_request_error', 'invalid_api_key'),
        JSON_TYPE,
      );
    }
    if (req.method === 'GET' && path === '/v1/models') {
      if (options.listModels === false)
        return sendJson(res, 404, envelope('Not found', 'invalid_request_error', null), JSON_TYPE);
      const data = models.map((id) => ({
        id,
        object: 'model',
        created: 1_700_000_000,
        owned_by: 'system',
      }));
      return sendJson(res, 200, { object: 'list', data }, JSON_TYPE);
    }
    const kind = KINDS[path ?? ''];
    if (req.method !== 'POST' || !kind) {
      return sendJson(
        res,
        404,
        envelope(
          `Unknown request URL: ${req.method} ${path}.`,
          'invalid_request_error',
          'unknown_url',
        ),
        JSON_TYPE,
      );
    }
    const body = rec.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') {
      return sendJson(
        res,
        400,
        envelope(
          'We could not parse the JSON body of your request.',
          'invalid_request_error',
          null,
        ),
        JSON_TYPE,
      );
    }
    const model = typeof body.model === 'string' ? body.model : '';
    if (!model)
      return sendJson(
        res,
        400,
        envelope('you must provide a model parameter', 'invalid_request_error', null),
        JSON_TYPE,
      );
    if (!models.includes(model)) {
      const message = `The model \`${model}\` does not exist or you do not have access to it.`;
      return sendJson(
        res,
        404,
        envelope(message, 'invalid_request_error', 'model_not_found'),
        JSON_TYPE,
      );
    }
    const script = scripts.take(model) ?? {};
    if (script.hang) return;
    if (script.status) {
      const type = script.status >= 500 ? 'server_error' : 'invalid_request_error';
      return sendJson(
        res,
        script.status,
        envelope(script.error ?? 'scripted failure', type, null),
        JSON_TYPE,
      );
    }
    if (kind === 'embedding') return embed(res, body, model);
    answer(kind, res, body, model, script, defaultReply);
  }

  const server = await startRecordingServer(handle, 0, options.recordRequests ?? true);
  return {
    url: `${server.url}/v1`,
    requests: server.requests,
    models,
    script: (...s) => scripts.add(...s),
    clearScripts: () => scripts.clear(),
    close: server.close,
  };
}

type Kind = 'chat' | 'completion' | 'embedding';
const KINDS: Record<string, Kind> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completion',
  '/v1/embeddings': 'embedding',
};

function embed(res: ServerResponse, body: Record<string, unknown>, model: string): void {
  const input = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(input) || input.some((i) => typeof i !== 'string')) {
    return sendJson(
      res,
      400,
      envelope("'input' must be a string or an array of strings", 'invalid_request_error', null),
      JSON_TYPE,
    );
  }
  const dims = typeof body.dimensions === 'number' ? body.dimensions : undefined;
  const { embeddings, tokens } = embedInputs(input as string[], 384, dims);
  sendJson(
    res,
    200,
    {
      object: 'list',
      data: embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
    JSON_TYPE,
  );
}

interface Plan {
  tokens: string[];
  finish: string;
  prompt: number;
  completion: number;
}

function plan(
  kind: Kind,
  body: Record<string, unknown>,
  script: StandinScript,
  reply: string,
): Plan {
  let tokens = script.tokens ?? tokenize(script.reply ?? (script.toolCalls ? '' : reply));
  let finish = script.doneReason ?? (script.toolCalls ? 'tool_calls' : 'stop');
  const limit = body.max_completion_tokens ?? body.max_tokens;
  if (typeof limit === 'number' && limit < tokens.length) {
    tokens = tokens.slice(0, limit);
    finish = script.doneReason ?? 'length';
  }
  const promptText =
    kind === 'chat' ? JSON.stringify(body.messages ?? []) : String(body.prompt ?? '');
  return {
    tokens,
    finish,
    prompt: script.promptTokens ?? 10 + tokenize(promptText).length,
    completion: script.completionTokens ?? Math.max(1, tokens.length),
  };
}

function answer(
  kind: Kind,
  res: ServerResponse,
  body: Record<string, unknown>,
  model: string,
  script: StandinScript,
  reply: string,
): void {
  const p = plan(kind, body, script, reply);
  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${++sequence}`;
  const usage = {
    prompt_tokens: p.prompt,
    completion_tokens: p.completion,
    total_tokens: p.prompt + p.completion,
  };
  const head = {
    id,
    object: kind === 'chat' ? 'chat.completion' : 'text_completion',
    created: 1_758_624_069,
    model,
  };
  if (body.stream !== true) {
    const text = p.tokens.join('');
    const calls = script.toolCalls?.map((c, i) => ({
      id: c.id ?? `call_${i}`,
      type: 'function',
      function: { name: c.name, arguments: JSON.stringify(c.arguments) },
    }));
    const choice =
      kind === 'chat'
        ? {
            index: 0,
            message: {
              role: 'assistant',
              content: calls && !text ? null : text,
              ...(calls ? { tool_calls: calls } : {}),
              refusal: null,
            },
            logprobs: null,
            finish_reason: p.finish,
          }
        : { index: 0, text, logprobs: null, finish_reason: p.finish };
    return sendJson(res, 200, { ...head, choices: [choice], usage }, JSON_TYPE);
  }
  const frames = streamFrames(
    kind,
    { ...head, object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion' },
    p,
    script,
    body,
    usage,
  );
  res.writeHead(200, { 'content-type': SSE, 'cache-control': 'no-cache' });
  void writeFrames(res, frames, script, { drop: script.dropAfterTokens !== undefined });
}

const frame = (value: unknown) => Buffer.from(`data: ${JSON.stringify(value)}\n\n`);

function streamFrames(
  kind: Kind,
  head: Record<string, unknown>,
  p: Plan,
  script: StandinScript,
  body: Record<string, unknown>,
  usage: Record<string, number>,
): Buffer[] {
  const choice = (fields: Record<string, unknown>, finish: string | null = null) =>
    frame({ ...head, choices: [{ index: 0, ...fields, logprobs: null, finish_reason: finish }] });
  const delta = (d: Record<string, unknown>, finish: string | null = null) =>
    kind === 'chat'
      ? choice({ delta: d }, finish)
      : choice({ text: (d.content as string) ?? '' }, finish);

  const cutAt = script.errorAfterTokens ?? script.dropAfterTokens;
  const tokens = cutAt === undefined ? p.tokens : p.tokens.slice(0, cutAt);
  const frames: Buffer[] = kind === 'chat' ? [delta({ role: 'assistant', content: '' })] : [];
  for (const t of tokens) frames.push(delta({ content: t }));
  if (script.errorAfterTokens !== undefined) {
    frames.push(
      frame({
        error: {
          message: script.error ?? 'The server had an error while processing your request.',
          type: 'server_error',
          param: null,
          code: null,
        },
      }),
    );
    return frames;
  }
  if (script.dropAfterTokens !== undefined) return frames;
  (script.toolCalls ?? []).forEach((call, index) => {
    const args = JSON.stringify(call.arguments);
    const third = Math.ceil(args.length / 3);
    frames.push(
      delta({
        tool_calls: [
          {
            index,
            id: call.id ?? `call_${index}`,
            type: 'function',
            function: { name: call.name, arguments: '' },
          },
        ],
      }),
    );
    for (let at = 0; at < args.length; at += third) {
      frames.push(
        delta({ tool_calls: [{ index, function: { arguments: args.slice(at, at + third) } }] }),
      );
    }
  });
  frames.push(kind === 'chat' ? delta({}, p.finish) : choice({ text: '' }, p.finish));
  if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
    frames.push(frame({ ...head, choices: [], usage }));
  }
  if (!script.omitDone) frames.push(Buffer.from('data: [DONE]\n\n'));
  return frames;
}
