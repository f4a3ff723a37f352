import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidRequestError, UpstreamUnavailableError } from '../../src/errors/errors.js';
import { ollamaProviderFactory } from '../../src/providers/ollama/index.js';
import { unreachableHint } from '../../src/providers/ollama/provider.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import { capturingLogger, ollamaProvider } from './harness.js';

const llm = (id: string) => ({ providerModelId: id, modelType: 'llm' as const, metadata: {} });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Ollama provider: start-up model check', () => {
  it('logs one clear error per missing model and accepts name == name:latest', async () => {
    const ollama = await startOllamaStandin({
      models: [
        { name: 'llama3.2:3b', family: 'llama' },
        { name: 'qwen2.5:latest', family: 'qwen2' },
      ],
    });
    const { log, lines } = capturingLogger();
    const provider = ollamaProvider({ url: ollama.url }, log);
    await provider.start([llm('llama3.2:3b'), llm('qwen2.5'), llm('mistral:7b'), llm('phi3')]);
    const errors = lines.filter((l) => l.level === 50);
    assert.equal(errors.length, 2);
    assert.match(String(errors[0]!.msg), /'mistral:7b'.*Run 'ollama pull mistral:7b'/);
    assert.match(String(errors[1]!.msg), /'phi3'.*Run 'ollama pull phi3'/);
    assert.ok(String(errors[0]!.msg).includes(ollama.url));
    await provider.close();
    await ollama.close();
  });

  it('an unreachable Ollama is a warning with the URL, retried in the background until it is up', async () => {
    const first = await startOllamaStandin();
    const port = Number(new URL(first.url).port);
    await first.close();

    const { log, lines } = capturingLogger();
    const provider = ollamaProvider({ url: first.url }, log);
    await provider.start([llm('llama3.2:3b'), llm('missing:1b')]);
    const warning = lines.find((l) => l.level === 40);
    assert.ok(warning, 'a warning is logged');
    assert.ok(String(warning.msg).includes(first.url));
    assert.match(String(warning.msg), /not reachable/);
    assert.equal(lines.filter((l) => l.level >= 50).length, 0, 'not an error, and no crash');
    // The reason once, not the caller's message nested inside the operator's.
    assert.match(
      String(warning.msg),
      /is not reachable yet \(connection refused\); retrying in [\d.]+ s\. Start it with 'ollama serve'/,
    );
    assert.doesNotMatch(String(warning.msg), /try again later/);

    const revived = await startOllamaStandin({ port });
    for (let i = 0; i < 40 && !lines.some((l) => l.level === 50); i++) await sleep(100);
    const errors = lines.filter((l) => l.level === 50);
    assert.equal(errors.length, 1, 'the model check runs once Ollama is up');
    assert.match(String(errors[0]!.msg), /missing:1b/);
    assert.ok(revived.requests.some((r) => r.path === '/api/tags'));
    await provider.close();
    await revived.close();
  });

  it('a container-side host name (the tutorial run.yaml on the host) gets the --env OLLAMA_URL fix', () => {
    for (const host of ['host.containers.internal', 'host.docker.internal']) {
      assert.match(
        unreachableHint(`http://${host}:11434`),
        /--env OLLAMA_URL=http:\/\/localhost:11434/,
      );
    }
    assert.match(unreachableHint('http://gpu-box:11434'), /fix url in this provider's config/);
  });

  it('close() stops the background retries', async () => {
    const gone = await startOllamaStandin();
    await gone.close();
    const { log, lines } = capturingLogger();
    const provider = ollamaProvider({ url: gone.url }, log);
    await provider.start([llm('llama3.2:3b')]);
    await provider.close();
    const count = lines.length;
    await sleep(1300);
    assert.equal(lines.length, count);
  });
});

describe('Ollama provider: models, health and config', () => {
  it('checkModel accepts local models (with the :latest rule) and lists the others on refusal', async () => {
    const ollama = await startOllamaStandin();
    const provider = ollamaProvider({ url: ollama.url });
    await provider.checkModel('llama3.2:3b', 'llm');
    await provider.checkModel('all-minilm:l6-v2', 'embedding');
    await assert.rejects(provider.checkModel('llama3.2', 'llm'), (err) => {
      assert.ok(err instanceof InvalidRequestError);
      assert.equal(
        err.message,
        "'llama3.2' model is not supported. Supported models are: llama3.2:3b, all-minilm:l6-v2",
      );
      return true;
    });
    ollama.models.push({ name: 'llama3.2:latest', family: 'llama' });
    await provider.checkModel('llama3.2', 'llm');
    await provider.close();
    await ollama.close();
    await assert.rejects(provider.checkModel('llama3.2:3b', 'llm'), UpstreamUnavailableError);
  });

  it('listModels maps BERT families to embedding models with their dimension', async () => {
    const ollama = await startOllamaStandin({
      models: [
        { name: 'llama3.2:3b', family: 'llama' },
        { name: 'all-minilm:l6-v2', family: 'bert', embedding: true },
        { name: 'nomic-embed-text:latest', family: 'nomic-bert', embedding: true, dimensions: 768 },
      ],
    });
    const provider = ollamaProvider({ url: ollama.url });
    assert.deepEqual(await provider.listModels(), [
      { providerModelId: 'llama3.2:3b', modelType: 'llm', metadata: {} },
      {
        providerModelId: 'all-minilm:l6-v2',
        modelType: 'embedding',
        metadata: { embedding_dimension: 384 },
      },
      {
        providerModelId: 'nomic-embed-text:latest',
        modelType: 'embedding',
        metadata: { embedding_dimension: 768 },
      },
    ]);
    await provider.close();
    await ollama.close();
  });

  it('health is OK while Ollama answers and an Error with the reason once it is gone', async () => {
    const ollama = await startOllamaStandin();
    const provider = ollamaProvider({ url: ollama.url });
    assert.deepEqual(await provider.health(), { status: 'OK' });
    assert.ok(ollama.requests.some((r) => r.path === '/api/ps'));
    await ollama.close();
    const down = await provider.health();
    assert.equal(down.status, 'Error');
    assert.match((down as { message: string }).message, /^Health check failed: .*not reachable/);
    await provider.close();
  });

  it('health gives up after 1 s on a server that never answers', async () => {
    const ollama = await startOllamaStandin();
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const provider = ollamaProvider({ url: `http://127.0.0.1:${port}` });
    const started = Date.now();
    const status = await provider.health();
    assert.equal(status.status, 'Error');
    assert.ok(Date.now() - started < 2500);
    await provider.close();
    silent.close();
    await ollama.close();
  });

  it('config: url or base_url (minus /v1), defaults, unknown keys ignored, no secrets', () => {
    const schema = ollamaProviderFactory.configSchema;
    const defaults = schema.parse({});
    assert.equal(defaults.url, 'http://localhost:11434');
    assert.equal(defaults.first_byte_timeout, 300);
    assert.equal(defaults.idle_timeout, 120);
    assert.equal(defaults.connect_timeout, 10);
    assert.equal(defaults.max_connections, 64);
    assert.equal(defaults.refresh_models, false);
    assert.equal(schema.parse({ base_url: 'http://gpu:11434/v1/' }).url, 'http://gpu:11434');
    assert.equal(schema.parse({ url: 'http://a:1/', base_url: 'http://b:2/v1' }).url, 'http://a:1');
    assert.equal('raise_on_connect_error' in schema.parse({ raise_on_connect_error: true }), false);
    assert.equal(schema.parse({ keep_alive: -1 }).keep_alive, -1);
    assert.throws(() => schema.parse({ url: 'localhost:11434' }), /absolute http/);
    assert.throws(() => schema.parse({ first_byte_timeout: -1 }));

    const provider = ollamaProvider({ url: 'http://gpu:11434', keep_alive: '5m' });
    assert.deepEqual(provider.publicConfig(), {
      ...schema.parse({ url: 'http://gpu:11434', keep_alive: '5m' }),
    });
    assert.equal(provider.type, 'remote::ollama');
    void provider.close();
  });
});
