import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  GatewayError,
  InvalidRequestError,
  ModelNotFoundError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../src/errors/errors.js';
import type { ChatEvent, InferenceProvider } from '../../src/inference/types.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { callContext, chatRequest, ollamaProvider, textOf } from './harness.js';

/** Iterates to the end, keeping the events seen before any error. */
async function drain(events: AsyncIterable<ChatEvent>) {
  const seen: ChatEvent[] = [];
  try {
    for await (const e of events) seen.push(e);
    return { seen, error: undefined };
  } catch (error) {
    return { seen, error };
  }
}

describe('Ollama provider: failures before the first byte', () => {
  let ollama: OllamaStandin;
  let provider: InferenceProvider;

  before(async () => {
    ollama = await startOllamaStandin();
    provider = ollamaProvider({ url: ollama.url, first_byte_timeout: 0.4 });
  });
  after(async () => {
    await provider.close();
    await ollama.close();
  });

  it('a model missing in Ollama is a 404 that says to pull it', async () => {
    await assert.rejects(
      provider.chat(chatRequest({ model: 'mistral:7b' }), callContext()),
      (err) => {
        assert.ok(err instanceof ModelNotFoundError);
        assert.equal(err.status, 404);
        assert.match(err.message, /Run 'ollama pull mistral:7b' on the Ollama host\./);
        return true;
      },
    );
    await assert.rejects(
      provider.embed({ model: 'nomic-embed-text', input: ['x'] }, callContext()),
      ModelNotFoundError,
    );
  });

  it("upstream statuses map to 429, 503, 400 and 502 with Ollama's own message", async () => {
    const cases: [number, string, new (...a: any[]) => GatewayError, number][] = [
      [429, 'too many requests', UpstreamError, 429],
      [
        503,
        'server busy, please try again.  maximum pending requests exceeded',
        UpstreamUnavailableError,
        503,
      ],
      [400, '"llama3.2:3b" does not support thinking', InvalidRequestError, 400],
      [500, 'llama runner process has terminated: signal: killed', UpstreamError, 502],
    ];
    for (const [status, message, type, expected] of cases) {
      ollama.script({ status, error: message });
      await assert.rejects(provider.chat(chatRequest(), callContext()), (err) => {
        assert.ok(err instanceof type, `${status} -> ${(err as Error).name}`);
        assert.equal((err as GatewayError).status, expected);
        assert.ok((err as Error).message.includes(message), (err as Error).message);
        return true;
      });
    }
  });

  it('a real Ollama option error (stop as a string) surfaces with its message', async () => {
    const req = chatRequest({ sampling: { stop: 'END' as unknown as string[] } });
    await assert.rejects(provider.chat(req, callContext()), /option "stop" must be of type array/);
  });

  it('a model load that outlasts first_byte_timeout is a 504; the log detail names the setting', async () => {
    ollama.script({ hang: true });
    const started = Date.now();
    await assert.rejects(provider.chat(chatRequest(), callContext()), (err) => {
      assert.ok(err instanceof UpstreamTimeoutError);
      assert.equal(err.status, 504);
      assert.match(err.message, /0\.4 s/);
      assert.match(JSON.stringify(err.detail), /first_byte_timeout/);
      return true;
    });
    assert.ok(Date.now() - started >= 350);
    assert.equal(await ollama.requests.at(-1)!.outcome, 'aborted');
  });

  it('an unreachable Ollama is a 503; the URL and how to start it go to the log, not the caller', async () => {
    const gone = await startOllamaStandin();
    await gone.close();
    const orphan = ollamaProvider({ url: gone.url });
    await assert.rejects(orphan.chat(chatRequest(), callContext()), (err) => {
      assert.ok(err instanceof UpstreamUnavailableError);
      assert.equal(err.status, 503);
      assert.ok(!err.message.includes(gone.url), err.message);
      assert.match(err.message, /connection refused/);
      assert.ok(JSON.stringify(err.detail).includes(gone.url));
      assert.match(JSON.stringify(err.detail), /ollama serve/);
      return true;
    });
    await assert.rejects(
      orphan.embed({ model: 'm', input: ['x'] }, callContext()),
      UpstreamUnavailableError,
    );
    await orphan.close();
  });
});

describe('Ollama provider: failures after the stream began', () => {
  let ollama: OllamaStandin;
  let provider: InferenceProvider;

  before(async () => {
    ollama = await startOllamaStandin();
    provider = ollamaProvider({ url: ollama.url, idle_timeout: 0.6 });
  });
  after(async () => {
    await provider.close();
    await ollama.close();
  });

  it('an {"error"} line throws after the tokens before it, with no done', async () => {
    ollama.script({
      reply: 'a b c d',
      errorAfterTokens: 2,
      error: 'an error was encountered while running the model',
    });
    const { seen, error } = await drain(await provider.chat(chatRequest(), callContext()));
    assert.equal(textOf(seen), 'a b');
    assert.ok(seen.every((e) => e.type !== 'done'));
    assert.ok(error instanceof UpstreamError);
    assert.equal(error.status, 502);
    assert.match(error.message, /an error was encountered while running the model/);
  });

  it('a dropped connection throws instead of finishing', async () => {
    ollama.script({ reply: 'a b c d', dropAfterTokens: 2, tokenDelayMs: 10 });
    const { seen, error } = await drain(await provider.chat(chatRequest(), callContext()));
    assert.equal(textOf(seen), 'a b');
    assert.ok(seen.every((e) => e.type !== 'done'));
    assert.ok(error instanceof UpstreamError, String(error));
    assert.match((error as Error).message, /stopped in the middle of the answer/);
  });

  it('a body that ends without done:true throws', async () => {
    ollama.script({ reply: 'a b', omitDone: true });
    const { seen, error } = await drain(await provider.chat(chatRequest(), callContext()));
    assert.equal(textOf(seen), 'a b');
    assert.ok(error instanceof UpstreamError);
    assert.match((error as Error).message, /without "done": true/);
  });

  it('a silence longer than idle_timeout between tokens is a 504; the log detail names the setting', async () => {
    ollama.script({ reply: 'a b c', tokenDelayMs: 1500 });
    const { seen, error } = await drain(await provider.chat(chatRequest(), callContext()));
    assert.equal(textOf(seen), 'a');
    assert.ok(error instanceof UpstreamTimeoutError, String(error));
    assert.match(JSON.stringify((error as UpstreamTimeoutError).detail), /idle_timeout/);
    assert.equal(await ollama.requests.at(-1)!.outcome, 'aborted');
  });

  it('a slow consumer is not mistaken for an idle upstream', async () => {
    ollama.script({ reply: 'a b c', chunks: 'all' });
    const seen: ChatEvent[] = [];
    for await (const e of await provider.chat(chatRequest(), callContext())) {
      seen.push(e);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(seen.at(-1)?.type, 'done');
  });
});

describe('Ollama provider: client disconnects', () => {
  let ollama: OllamaStandin;
  let provider: InferenceProvider;

  before(async () => {
    ollama = await startOllamaStandin();
    provider = ollamaProvider({ url: ollama.url });
  });
  after(async () => {
    await provider.close();
    await ollama.close();
  });

  it('abort mid-stream closes the upstream connection at once and ends quietly', async () => {
    ollama.script({ reply: 'one two three four five', tokenDelayMs: 200 });
    const ctx = callContext();
    const seen: ChatEvent[] = [];
    const started = Date.now();
    for await (const e of await provider.chat(chatRequest(), ctx)) {
      seen.push(e);
      if (seen.length === 1) ctx.abort();
    }
    assert.deepEqual(seen, [{ type: 'text', text: 'one' }]);
    assert.equal(await ollama.requests.at(-1)!.outcome, 'aborted');
    assert.ok(Date.now() - started < 600, 'the upstream was not left running');
  });

  it('abort while Ollama is still loading cancels the request and resolves quietly', async () => {
    ollama.script({ hang: true });
    const ctx = callContext();
    setTimeout(() => ctx.abort(), 100);
    const events = await provider.chat(chatRequest(), ctx);
    const { seen, error } = await drain(events);
    assert.deepEqual(seen, []);
    assert.equal(error, undefined);
    assert.equal(await ollama.requests.at(-1)!.outcome, 'aborted');
  });

  it('the pool still serves requests after aborted ones', async () => {
    const { seen } = await drain(await provider.chat(chatRequest(), callContext()));
    assert.equal(seen.at(-1)?.type, 'done');
  });
});

describe('Ollama provider: a URL that is not Ollama', () => {
  it('a bare 404 page is a 502 about the URL, not a missing model', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => res.writeHead(404).end('404 page not found'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const provider = ollamaProvider({ url });
    await assert.rejects(provider.chat(chatRequest(), callContext()), (err) => {
      assert.ok(err instanceof UpstreamError);
      assert.equal(err.status, 502);
      assert.match(err.message, /no such endpoint/);
      assert.match(JSON.stringify(err.detail), /points at Ollama/);
      return true;
    });
    await provider.close();
    server.close();
  });
});
