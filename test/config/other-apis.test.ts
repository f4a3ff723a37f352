import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors/errors.js';
import { parseRunConfig } from '../../src/config/load.js';
import { capturingLogger } from '../support/capturing-logger.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, postJson, startTestStack } from '../support/stack.js';

// Providers of the Llama Stack APIs llamagate does not serve, as a distribution's run.yaml has.
const OTHER_APIS = `  safety:
    - provider_id: llama-guard
      provider_type: inline::llama-guard
      config: {excluded_categories: []}
  agents:
    - provider_id: meta-reference
      provider_type: inline::meta-reference
      config: {persistence_store: {type: sqlite, db_path: /tmp/agents.db}}
  vector_io:
    - provider_id: faiss
      provider_type: inline::faiss
  tool_runtime:
    - provider_id: brave-search
      provider_type: remote::brave-search
      config: {api_key: x}
`;

test('a run.yaml with providers of APIs that are not served starts, warns once per API and serves inference', async () => {
  const ollama = await startOllamaStandin();
  const yaml = ollamaRunYaml(ollama.url).replace(
    'apis: [inference]',
    'apis: [inference, safety, agents, vector_io, tool_runtime]',
  );
  const withOthers = yaml.replace('models:\n', `${OTHER_APIS}models:\n`);
  assert.notEqual(withOthers, yaml, 'the providers were added');
  const { log, lines } = capturingLogger('info');
  const stack = await startTestStack(withOthers, { log }).catch(async (err: unknown) => {
    await ollama.close();
    throw err;
  });
  try {
    const res = await postJson(`http://127.0.0.1:${stack.port}/v1/chat/completions`, {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(res.status, 200);
    const warned = lines.filter((l) => l.level === 40 && /is not served by llamagate/.test(l.msg));
    assert.deepEqual(warned.map((l) => l.api).sort(), [
      'agents',
      'safety',
      'tool_runtime',
      'vector_io',
    ]);
  } finally {
    await stack.close();
    await ollama.close();
  }
});

test('an inference provider type listed under another API is still refused, with the fix', () => {
  const yaml = ollamaRunYaml('http://127.0.0.1:1').replace(
    'models:\n',
    '  safety:\n    - provider_id: misplaced\n      provider_type: remote::ollama\n      config: {url: http://127.0.0.1:2}\nmodels:\n',
  );
  assert.throws(
    () => parseRunConfig(yaml, 'run.yaml', { env: {} }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /providers\.safety\[0\]\.provider_type: 'remote::ollama' is an inference provider; list it under providers\.inference/.test(
        err.message,
      ),
  );
});
