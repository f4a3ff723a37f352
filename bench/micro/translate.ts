/**
 * Micro-benchmarks of the request path's pure work: validating the OpenAI body, translating an
 * Ollama reply (whole and streamed NDJSON) into OpenAI JSON / SSE events, building the request
 * log line and writing it to a file the way the product does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { createLogger, logDestination } from '../../src/logging/logger.js';
import { ollamaObjectEvents, ollamaStreamEvents } from '../../src/providers/ollama/stream.js';
import { toOllamaChat } from '../../src/providers/ollama/translate.js';
import { collect } from '../../src/translate/collect.js';
import { parseOpenAIChat } from '../../src/translate/openai-request.js';
import { chatCompletionBody, chatCompletionEncoder } from '../../src/translate/openai-response.js';
import { chatBody, FAST_REPLY, MODELS, STREAM_TOKENS, streamTokens } from '../lib/workload.js';
import { time } from './timing.js';
import type { MicroResult } from './timing.js';

const label = { name: 'Ollama', url: 'http://127.0.0.1:11434' } as never;
const timeouts = { firstByteMs: 60_000, idleMs: 60_000, connectMs: 60_000 };

function ollamaFinal(text: string): Record<string, unknown> {
  return {
    model: MODELS.fast,
    created_at: '2026-01-01T00:00:00.000Z',
    message: { role: 'assistant', content: text },
    done: true,
    done_reason: 'stop',
    total_duration: 2_389_000_000,
    load_duration: 41_000_000,
    prompt_eval_count: 31,
    prompt_eval_duration: 120_000_000,
    eval_count: 150,
    eval_duration: 2_180_000_000,
  };
}

/** The NDJSON lines of a 64-token stream, one Buffer per line (one read each, as in the bench). */
function ndjsonLines(): Buffer[] {
  const lines = streamTokens(STREAM_TOKENS).map((t) =>
    JSON.stringify({
      model: MODELS.stream,
      created_at: '2026-01-01T00:00:00.000Z',
      message: { role: 'assistant', content: t },
      done: false,
    }),
  );
  lines.push(JSON.stringify({ ...ollamaFinal(''), model: MODELS.stream }));
  return lines.map((l) => Buffer.from(`${l}\n`));
}

export async function translateMicro(quick: boolean): Promise<MicroResult[]> {
  const scale = quick ? 0.2 : 1;
  const n = (v: number) => Math.max(50, Math.round(v * scale));
  const bodyText = chatBody(MODELS.fast, false);
  const parsed = JSON.parse(bodyText) as unknown;
  const finalText = JSON.stringify(ollamaFinal(FAST_REPLY));
  const lines = ndjsonLines();
  const signal = new AbortController().signal;
  const results: MicroResult[] = [];

  results.push(
    await time('JSON.parse of the ~250 B chat body', () => JSON.parse(bodyText), {
      ops: n(20_000),
    }),
  );
  results.push(
    await time(
      'parseOpenAIChat (zod validation + mapping), body already parsed',
      () => parseOpenAIChat(parsed),
      {
        ops: n(20_000),
      },
    ),
  );
  results.push(
    await time(
      'toOllamaChat + JSON.stringify (upstream request body)',
      () => {
        const { request } = parseOpenAIChat(parsed);
        return JSON.stringify(toOllamaChat(request, false, undefined));
      },
      { ops: n(20_000) },
    ),
  );
  results.push(
    await time(
      'non-streaming reply: JSON.parse Ollama reply -> OpenAI body -> JSON.stringify',
      async () => {
        const events = ollamaObjectEvents(JSON.parse(finalText), 'chat', label);
        const gen = await collect(replay2(events));
        return JSON.stringify(chatCompletionBody(MODELS.fast, gen));
      },
      { ops: n(20_000) },
    ),
  );
  results.push(
    await time(
      'streaming: per NDJSON chunk -> OpenAI SSE event (line split + parse + chunk JSON + framing)',
      async () => {
        const body = Readable.from(lines);
        const events = ollamaStreamEvents(body, 'chat', label, timeouts, signal);
        const encoder = chatCompletionEncoder({ model: MODELS.stream, includeUsage: false });
        let bytes = 0;
        for (const payload of encoder.opening()) bytes += `data: ${payload}\n\n`.length;
        for await (const event of events) {
          for (const payload of encoder.encode(event)) bytes += `data: ${payload}\n\n`.length;
        }
        return bytes;
      },
      { ops: n(1_000), perCall: lines.length },
    ),
  );
  // The request log line, serialised to a sink that drops it: with the product logger's
  // redaction, and through the child without it that request lines use.
  const sink: DestinationStream = { write: () => {} };
  const logger = createLogger({ name: 'stack', destination: sink });
  const access = logger.child({}, { redact: { paths: [] } });
  const line = {
    reqId: '3f1c2a9e-6b7d-4e8f-9a0b-1c2d3e4f5a6b',
    method: 'POST',
    path: '/v1/chat/completions',
    status: 200,
    durationMs: 0.52,
    principal: 'service-account-lls-client',
  };
  results.push(
    await time(
      'request log line, product logger (redaction paths applied)',
      () => logger.info(line, 'request'),
      { ops: n(20_000) },
    ),
  );
  results.push(
    await time(
      'request log line, access logger (allow-listed fields, no redaction pass)',
      () => access.info(line, 'request'),
      { ops: n(20_000) },
    ),
  );
  // The same line written to a file through the product's log destination, the event loop
  // turning every 64 lines so that the asynchronous writes complete as they would in a server.
  const dir = mkdtempSync(join(tmpdir(), 'llamagate-micro-log-'));
  const fileLogger = createLogger({
    name: 'stack',
    destination: logDestination(join(dir, 'a.log')),
  });
  const fileAccess = fileLogger.child({}, { redact: { paths: [] } });
  await new Promise((resolve) => setTimeout(resolve, 50));
  results.push(
    await time(
      'request log line written to a file (access logger, product log destination)',
      (i) => {
        fileAccess.info(line, 'request');
        if (i % 64 === 63) return new Promise((resolve) => setImmediate(resolve));
      },
      { ops: n(20_000) },
    ),
  );
  fileLogger.flush();
  rmSync(dir, { recursive: true, force: true });
  return results;
}

async function* replay2<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
