/**
 * Plumbing shared by the upstream stand-ins (ollama-standin.ts, openai-standin.ts): the HTTP
 * server on 127.0.0.1:0, request recording, the script queue, and the writer that cuts a reply
 * into exactly the writes and delays a test asked for.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Everything a stand-in saw of one request. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; `undefined` when empty or not JSON (see `raw`). */
  body: unknown;
  raw: string;
  /** Settles when the exchange is over: `finished` if the reply was sent whole, else `aborted`. */
  outcome: Promise<'finished' | 'aborted'>;
}

/** A scripted tool call; `id` is sent only when given (mid-2025 Ollama sends none). */
export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown>;
  id?: string;
}

/** How a reply is cut into writes. */
export type ChunkPlan = 'line' | 'all' | number | number[];

/** What the next matching request gets. Fields that do not apply to an endpoint are ignored. */
export interface StandinScript {
  /** Only requests for this model match (`x` == `x:latest`); any model when absent. */
  model?: string;
  /** Requests served by this entry before it is dropped: default 1, `Infinity` keeps it. */
  times?: number;
  /** Reply text, cut into word-sized tokens (`" world"`), unless `tokens` gives them. */
  reply?: string;
  tokens?: string[];
  toolCalls?: ScriptedToolCall[];
  /** Ollama `done_reason` / OpenAI `finish_reason` of the final frame. */
  doneReason?: string;
  /** Delay before the first frame (the status line and headers go with it, as in Ollama). */
  firstTokenDelayMs?: number;
  /** Delay between frames. */
  tokenDelayMs?: number;
  /**
   * Raw write boundaries: `line` one write per frame (default when delays are set), `all` one
   * write (default otherwise), a number = that many bytes per write, an array = byte offsets to
   * cut at (e.g. inside a multi-byte character).
   */
  chunks?: ChunkPlan;
  /** Pause between byte-cut writes so they reach the client as separate reads (default 5 ms). */
  writeGapMs?: number;
  /** Fail before streaming with this status and message. */
  status?: number;
  error?: string;
  /** After this many token frames, send an in-band error frame and end. */
  errorAfterTokens?: number;
  /** After this many token frames, destroy the connection. */
  dropAfterTokens?: number;
  /** Never answer (the request waits until the client gives up or the server closes). */
  hang?: boolean;
  /** End the body normally but without the final frame (`done:true` / `[DONE]`). */
  omitDone?: boolean;
  /** Usage to report; defaults are derived from the request and the tokens. */
  promptTokens?: number;
  completionTokens?: number;
  /**
   * Build the streamed frames once and replay the same bytes to every matching request (their
   * timestamps then repeat). Benchmarks use it so the stand-in's own work stays out of the
   * figures; it needs `times: Infinity` to matter.
   */
  reuseFrames?: boolean;
}

/** The queue of scripts; the first entry matching the model is used and counted down. */
export class ScriptQueue {
  private entries: StandinScript[] = [];

  add(...scripts: StandinScript[]): void {
    this.entries.push(...scripts);
  }

  clear(): void {
    this.entries = [];
  }

  take(model: string | undefined): StandinScript | undefined {
    const index = this.entries.findIndex(
      (e) => e.model === undefined || (model !== undefined && sameModel(e.model, model)),
    );
    if (index === -1) return undefined;
    const entry = this.entries[index]!;
    // A standing entry is returned as it is, so callers may key per-script caches on it.
    if (entry.times === Infinity) return entry;
    const left = (entry.times ?? 1) - 1;
    if (left <= 0) this.entries.splice(index, 1);
    else this.entries[index] = { ...entry, times: left };
    return entry;
  }
}

/** `llama3.2` and `llama3.2:latest` are one model, as in Ollama. */
export function sameModel(a: string, b: string): boolean {
  const norm = (n: string) => (n.includes(':') ? n : `${n}:latest`);
  return norm(a) === norm(b);
}

/** Word-sized tokens with their leading space, like a real tokenizer's output. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+\s*$|\s*\S+/g) ?? (text ? [text] : []);
}

export const sleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Writes frames as the script says, then ends (or drops) the response. `dropAfter` destroys the
 * socket once the written bytes are flushed; nothing more is written once the client has gone.
 */
export async function writeFrames(
  res: ServerResponse,
  frames: Buffer[],
  script: StandinScript,
  options: { drop?: boolean } = {},
): Promise<void> {
  const firstDelay = script.firstTokenDelayMs ?? 0;
  const gap = script.tokenDelayMs ?? 0;
  const plan = script.chunks ?? (firstDelay > 0 || gap > 0 ? 'line' : 'all');
  if (firstDelay > 0) await sleep(firstDelay);
  if (res.destroyed) return;

  let writes: Buffer[];
  let pause = gap;
  if (plan === 'line') writes = frames;
  else {
    const all = Buffer.concat(frames);
    writes = plan === 'all' ? [all] : cut(all, plan);
    pause = plan === 'all' ? 0 : (script.writeGapMs ?? 5);
  }
  for (let i = 0; i < writes.length; i++) {
    if (i > 0 && pause > 0) await sleep(pause);
    if (res.destroyed) return;
    if (i === writes.length - 1 && !options.drop) res.end(writes[i]);
    else res.write(writes[i]);
  }
  if (writes.length === 0 && !options.drop) res.end();
  if (options.drop) res.write('', () => res.socket?.destroy());
}

function cut(data: Buffer, plan: number | number[]): Buffer[] {
  const offsets =
    typeof plan === 'number'
      ? Array.from({ length: Math.ceil(data.length / plan) - 1 }, (_, i) => (i + 1) * plan)
      : plan.filter((o) => o > 0 && o < data.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const offset of [...offsets, data.length]) {
    out.push(data.subarray(start, offset));
    start = offset;
  }
  return out;
}

/** Sends a complete JSON reply with Content-Length, as Go's encoder does. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json; charset=utf-8',
): void {
  const data = typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': contentType, 'content-length': data.length });
  res.end(data);
}

export type Handler = (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest) => void;

/** Starts an HTTP server on 127.0.0.1:0 that records each request before handing it over. */
export async function startRecordingServer(
  handler: Handler,
  port = 0,
  record = true,
): Promise<{ server: Server; url: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const outcome = new Promise<'finished' | 'aborted'>((resolve) => {
        res.on('close', () => resolve(res.writableFinished ? 'finished' : 'aborted'));
      });
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
        raw,
        outcome,
      };
      if (record) requests.push(rec);
      handler(req, res, rec);
    });
  });
  // Long keep-alive so pooled client connections are not closed under a benchmark's feet.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
