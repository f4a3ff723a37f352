/**
 * A minimal OpenAI-compatible upstream for the benchmark: POST /v1/chat/completions answered from
 * buffers built once per model, with the same timing code (writeFrames) and the same request
 * recording as the Ollama stand-in, so the direct, proxy, nginx and Portkey arms reach an
 * upstream that costs what the Ollama stand-in costs the gateway arms.
 */
import type { ServerResponse } from 'node:http';
import { sendJson, startRecordingServer, writeFrames } from '../../test/support/standin-common.js';
import type { RecordedRequest, StandinScript } from '../../test/support/standin-common.js';

/** Reply and timing per model; models not listed answer 404 like a real server. */
export interface OpenAIStandinModel {
  name: string;
  /** Non-streaming answer text. */
  reply: string;
  /** Streamed tokens, one SSE event each. */
  tokens: string[];
  firstTokenDelayMs?: number;
  tokenDelayMs?: number;
}

export interface OpenAIStandin {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const CREATED = 1_767_225_600;

function usage(completion: number) {
  return { prompt_tokens: 31, completion_tokens: completion, total_tokens: 31 + completion };
}

function completionBody(m: OpenAIStandinModel): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-standin',
      object: 'chat.completion',
      created: CREATED,
      model: m.name,
      system_fingerprint: 'fp_ollama',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: m.reply },
          finish_reason: 'stop',
        },
      ],
      usage: usage(m.reply.split(' ').length),
    }),
  );
}

function event(model: string, delta: object, finish: string | null): string {
  const chunk = {
    id: 'chatcmpl-standin',
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    system_fingerprint: 'fp_ollama',
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** One write per token, as the Ollama stand-in does: the role event travels with the first. */
function streamFrames(m: OpenAIStandinModel): Buffer[] {
  const frames = m.tokens.map((t) => event(m.name, { role: 'assistant', content: t }, null));
  frames[0] = event(m.name, { role: 'assistant', content: '' }, null) + frames[0];
  frames.push(`${event(m.name, {}, 'stop')}data: [DONE]\n\n`);
  return frames.map((f) => Buffer.from(f));
}

/** Starts the stand-in on 127.0.0.1:0. */
export async function startOpenAIStandin(models: OpenAIStandinModel[]): Promise<OpenAIStandin> {
  const built = new Map(
    models.map((m) => [
      m.name,
      {
        body: completionBody(m),
        frames: streamFrames(m),
        script: { firstTokenDelayMs: m.firstTokenDelayMs, tokenDelayMs: m.tokenDelayMs },
      },
    ]),
  );

  function handle(res: ServerResponse, rec: RecordedRequest): void {
    if (rec.method !== 'POST' || rec.path.split('?')[0] !== '/v1/chat/completions') {
      return sendJson(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
    }
    const body = rec.body as { model?: unknown; stream?: unknown } | undefined;
    const model = typeof body?.model === 'string' ? built.get(body.model) : undefined;
    if (!model) {
      return sendJson(res, 404, { error: { message: 'model not found', type: 'not_found' } });
    }
    if (body?.stream !== true) {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': model.body.length,
      });
      return void res.end(model.body);
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    void writeFrames(res, model.frames, model.script as StandinScript);
  }

  const server = await startRecordingServer((_req, res, rec) => handle(res, rec));
  return { url: server.url, requests: server.requests, close: server.close };
}
