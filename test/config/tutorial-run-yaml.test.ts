import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadRunConfig } from '../../src/config/load.js';
import { registerFakeProviders } from './fake-providers.js';

registerFakeProviders();

// The tutorial's file, byte for byte: the product must accept it without edits.
const TUTORIAL_RUN_YAML = [
  'version: 2',
  'image_name: starter',
  '',
  'apis:',
  '  - inference',
  '',
  'providers:',
  '  inference:',
  '    - provider_id: ollama',
  '      provider_type: remote::ollama',
  '      config:',
  '        url: ${env.OLLAMA_URL:=http://host.containers.internal:11434}',
  '',
  'models:',
  '  - model_id: ${env.INFERENCE_MODEL:=llama3.2:3b}',
  '    provider_id: ollama',
  '    provider_model_id: ${env.INFERENCE_MODEL:=llama3.2:3b}',
  '    metadata: {}',
  '',
  'server:',
  '  port: ${env.LLAMA_STACK_PORT:=8321}',
  '  auth:',
  '    provider_config:',
  '      type: oauth2_token',
  '      jwks:',
  '        uri: ${env.KEYCLOAK_JWKS_URI:=http://localhost:8080/realms/lls-auth/protocol/openid-connect/certs}',
  '      issuer: ${env.KEYCLOAK_ISSUER:=http://localhost:8080/realms/lls-auth}',
  '      audience: ${env.KEYCLOAK_AUDIENCE:=lls-client}',
  '',
].join('\n');

test('configs/run.yaml is the tutorial file, unchanged', async () => {
  assert.equal(await readFile('configs/run.yaml', 'utf8'), TUTORIAL_RUN_YAML);
});

test('the tutorial run.yaml loads with an empty environment and yields the tutorial values', async () => {
  const { config, providerConfigs } = await loadRunConfig('configs/run.yaml', { env: {} });
  assert.equal(config.version, 2);
  assert.equal(config.image_name, 'starter');
  assert.deepEqual(config.apis, ['inference']);
  assert.equal(config.server.port, 8321);
  assert.equal(typeof config.server.port, 'number');

  const inference = config.providers.inference ?? [];
  assert.equal(inference.length, 1);
  assert.equal(inference[0]?.provider_id, 'ollama');
  assert.equal(inference[0]?.provider_type, 'remote::ollama');
  assert.deepEqual(inference[0]?.config, { url: 'http://host.containers.internal:11434' });
  assert.equal(
    (providerConfigs.get('ollama') as { url: string }).url,
    'http://host.containers.internal:11434',
  );

  assert.equal(config.models.length, 1);
  const model = config.models[0];
  assert.equal(model?.model_id, 'llama3.2:3b');
  assert.equal(model?.provider_id, 'ollama');
  assert.equal(model?.provider_model_id, 'llama3.2:3b');
  assert.equal(model?.model_type, 'llm');
  assert.deepEqual(model?.metadata, {});

  const pc = config.server.auth?.provider_config;
  assert.equal(pc?.type, 'oauth2_token');
  assert.ok(pc?.type === 'oauth2_token');
  assert.equal(pc.jwks?.uri, 'http://localhost:8080/realms/lls-auth/protocol/openid-connect/certs');
  assert.equal(pc.issuer, 'http://localhost:8080/realms/lls-auth');
  assert.equal(pc.audience, 'lls-client');
});

test('the tutorial run.yaml follows the environment and --env overrides', async () => {
  const { config } = await loadRunConfig('configs/run.yaml', {
    env: { OLLAMA_URL: 'http://localhost:11434', LLAMA_STACK_PORT: '9000', INFERENCE_MODEL: 'x' },
    cliEnv: { INFERENCE_MODEL: 'qwen3:8b', KEYCLOAK_AUDIENCE: 'other-client' },
  });
  assert.deepEqual(config.providers.inference?.[0]?.config, { url: 'http://localhost:11434' });
  assert.equal(config.server.port, 9000);
  assert.equal(config.models[0]?.model_id, 'qwen3:8b');
  assert.equal(config.models[0]?.provider_model_id, 'qwen3:8b');
  const pc = config.server.auth?.provider_config;
  assert.ok(pc?.type === 'oauth2_token');
  assert.equal(pc.audience, 'other-client');
});
