import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One chat request as the fake stack server saw it. */
export interface StackRequestRecord {
  path: string;
  token: string | undefined;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface CannedFailure {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Announce the body's full length, send only this many bytes of it, then drop the connection. */
  cutAfterBytes?: number;
}

export interface FakeStackServer {
  url: string;
  requests: StackRequestRecord[];
  /** Answer this many authenticated chat requests with 401 anyway (a revoked token). */
  reject401: number;
  /** Answer chat requests with this instead of a completion. */
  failure: CannedFailure | undefined;
  /** Delay before any chat answer, in milliseconds. */
  delayMs: number;
  /** While set, a stream stops after its first event until this promise resolves. */
  streamGate: Promise<void> | undefined;
  /** Streams whose caller went away before the last event. */
  abortedStreams: number;
  /** Resolves when the next stream is cut off by its caller. */
  nextAbort(): Promise<void>;
  close(): Promise<void>;
}

const LEGACY_PATH = '/v1/inference/chat-completion';
const OPENAI_PATHS = new Set(['/v1/chat/completions', '/v1/openai/v1/chat/completions']);

/**
 * A small Llama-Stack-like server: checks the bearer token with `acceptToken`, answers the legacy
 * and the OpenAI chat routes with an echo of the last user message, and streams SSE.
 */
export async function startFakeStackServer(options: {
  acceptToken: (token: string) => boolean | Promise<boolean>;
}): Promise<FakeStackServer> {
  let abortWaiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });

  const fake: FakeStackServer = {
    url: '',
    requests: [],
    reject401: 0,
    failure: undefined,
    delayMs: 0,
    streamGate: undefined,
    abortedStreams: 0,
    nextAbort: () => new Promise<void>((resolve) => abortWaiters.push(resolve)),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method === 'GET' && path === '/v1/health') return json(res, 200, { status: 'OK' });
    const legacy = path === LEGACY_PATH;
    if (req.method !== 'POST' || (!legacy && !OPENAI_PATHS.has(path))) {
      return json(res, 404, { detail: 'Not Found' });
    }

    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const body = JSON.parse(await readText(req)) as Record<string, unknown>;
    fake.requests.push({ path, token, headers: req.headers, body });
    if (token === undefined || !(await options.acceptToken(token))) {
      return json(res, 401, { error: { message: 'Invalid JWT token' } });
    }
    if (fake.reject401 > 0) {
      fake.reject401 -= 1;
      return json(res, 401, { error: { message: 'Invalid JWT token' } });
    }
    if (fake.delayMs > 0) await new Promise((r) => setTimeout(r, fake.delayMs));
    if (fake.failure) {
      const { status, body: text, headers, cutAfterBytes } = fake.failure;
      const length =
        cutAfterBytes === undefined ? {} : { 'content-length': Buffer.byteLength(text) };
      res.writeHead(status, { 'content-type': 'application/json', ...length, ...headers });
      if (cutAfterBytes === undefined) return void res.end(text);
      res.write(text.slice(0, cutAfterBytes), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }

    const messages = (body.messages ?? []) as Array<{ role: string; content: string }>;
    const text = `echo: ${messages.at(-1)?.content ?? ''}`;
    if (body.stream === true) return stream(res, legacy, text);
    return json(res, 200, legacy ? legacyAnswer(text) : openaiAnswer(String(body.model), text));
  }

  async function stream(res: ServerResponse, legacy: boolean, text: string): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    let finished = false;
    res.on('close', () => {
      if (finished) return;
      fake.abortedStreams += 1;
      const waiters = abortWaiters;
      abortWaiters = [];
      for (const w of waiters) w();
    });
    const events = legacy ? legacyEvents(text) : openaiEvents(text);
    res.write(`data: ${JSON.stringify(events[0])}\n\n`);
    if (fake.streamGate) await fake.streamGate;
    if (res.destroyed) return;
    for (const event of events.slice(1)) res.write(`data: ${JSON.stringify(event)}\n\n`);
    if (!legacy) res.write('data: [DONE]\n\n');
    finished = true;
    res.end();
  }

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function legacyAnswer(text: string): Record<string, unknown> {
  const metrics = ['prompt_tokens', 'completion_tokens', 'total_tokens'].map((metric) => ({
    metric,
    value: 0,
    unit: null,
  }));
  return {
    metrics,
    completion_message: {
      role: 'assistant',
      content: text,
      stop_reason: 'end_of_turn',
      tool_calls: [],
    },
    logprobs: null,
  };
}

function openaiAnswer(model: string, text: string): Record<string, unknown> {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
  };
}

function legacyEvents(text: string): unknown[] {
  const event = (event_type: string, t: string, stop_reason: string | null) => ({
    metrics: null,
    event: { event_type, delta: { type: 'text', text: t }, logprobs: null, stop_reason },
  });
  return [
    event('start', '', null),
    event('progress', text, null),
    event('complete', '', 'end_of_turn'),
  ];
}

function openaiEvents(text: string): unknown[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  return [
    chunk({ role: 'assistant', content: '' }, null),
    chunk({ content: text }, null),
    chunk({}, 'stop'),
  ];
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
