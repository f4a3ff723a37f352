import { test } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { loadRunConfig, parseRunConfig, type LoadOptions } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors/errors.js';
import { findProviderFactory, knownProviderTypes } from '../../src/providers/index.js';
import { FAKE_TYPE, registerFakeProviders } from './fake-providers.js';

// Captured before the fakes are registered: these are the product's own provider types.
const REAL_TYPES = knownProviderTypes();
registerFakeProviders();

const FIXTURE = 'test/fixtures/config/two-providers.yaml';
const FILE = 'my-run.yaml';

function provider(config: string, id = 'p', type = FAKE_TYPE): string {
  return `providers:\n  inference:\n    - provider_id: ${id}\n      provider_type: ${type}\n      config: ${config}\n`;
}

function configError(text: string, options: LoadOptions = { env: {} }): string {
  try {
    parseRunConfig(text, FILE, options);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.ok(err.message.includes(FILE), err.message);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

async function loadError(path: string, options: LoadOptions = { env: {} }): Promise<string> {
  const err = await loadRunConfig(path, options).then(
    () => assert.fail('expected a ConfigError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfigError, String(err));
  return err.message;
}

test('the fixture loads: disabled providers and their models are dropped, defaults applied', async () => {
  const { config, providerConfigs } = await loadRunConfig(FIXTURE, { env: {} });
  assert.deepEqual(
    config.providers.inference?.map((p) => p.provider_id),
    ['primary', 'secondary'],
  );
  assert.deepEqual(providerConfigs.get('primary'), {
    url: 'http://127.0.0.1:11434',
    api_key: null,
  });
  assert.equal((providerConfigs.get('secondary') as { url: string }).url, 'http://127.0.0.1:11435');
  assert.deepEqual(
    config.models.map((m) => [m.model_id, m.provider_id, m.provider_model_id, m.model_type]),
    [
      ['chat', 'primary', 'chat', 'llm'],
      ['embed', 'secondary', 'nomic-embed-text', 'embedding'],
    ],
  );
  assert.equal(config.server.port, 8400);
});

test('enabling a provider makes its missing variables an error, at its place in the file', async () => {
  const message = await loadError(FIXTURE, { env: {}, cliEnv: { ENABLE_LOCAL: 'local' } });
  assert.match(message, /two-providers\.yaml/);
  assert.match(message, /providers\.inference\[0\]\.config\.url: environment variable LOCAL_URL/);
  assert.match(message, /--env LOCAL_URL=/);
});

test('provider config errors keep the file index even after a disabled entry is dropped', async () => {
  const message = await loadError(FIXTURE, { env: { PRIMARY_HOST: 'bad host' } });
  assert.match(message, /providers\.inference\[1\]\.config\.url: must be a valid url/);
  assert.match(message, /got string "http:\/\/bad host:11434"/);
});

test('a numeric secret converted to a number is a type error that never prints the value', async () => {
  const message = await loadError(FIXTURE, { env: { PRIMARY_API_KEY: '1234567' } });
  assert.match(message, /providers\.inference\[1\]\.config\.api_key: expected string, got number/);
  assert.match(message, /value hidden/);
  assert.match(message, /\$\{env\.\.\.\} placeholder/);
  assert.ok(!message.includes('1234567'), message);
});

test('secret values never appear in type errors, wherever the secret sits', () => {
  const auth =
    'server:\n  auth:\n    provider_config:\n      type: oauth2_token\n      introspection:\n' +
    '        url: http://127.0.0.1:1/introspect\n        client_id: 42\n' +
    '        client_secret: 987654321\n';
  const message = configError(`providers: {}\n${auth}`);
  assert.match(
    message,
    /server\.auth\.provider_config\.introspection\.client_secret: expected string, got number \(value hidden\)/,
  );
  assert.match(message, /client_id: expected string, got number 42/);
  assert.ok(!message.includes('987654321'), message);

  const token = configError(provider('{url: http://127.0.0.1:1, api_key: [s3cr3t-token]}'));
  assert.match(token, /api_key: expected string, got list/);
  assert.ok(!token.includes('s3cr3t'), token);
});

test('wrong types name the path, the expected type and the value type', () => {
  const port = configError('providers: {}\nserver:\n  port: abc\n');
  assert.match(
    port,
    /^Invalid run config my-run\.yaml: server\.port: expected number, got string "abc"\. Set server\.port to a number\.$/,
  );
  const fromEnv = configError('providers: {}\nserver:\n  port: ${env.P}\n', {
    env: { P: 'eighty' },
  });
  assert.match(fromEnv, /server\.port: expected number, got string "eighty"/);
  const low = configError('providers: {}\nserver:\n  port: 80\n');
  assert.match(low, /server\.port: must be at least 1024 \(got number 80\)/);
  const models = configError('providers: {}\nmodels: {model_id: x}\n');
  assert.match(models, /models: expected list, got mapping/);
});

test('several problems are listed one per line, still naming the file', () => {
  const message = configError(
    provider('{url: not-a-url}') +
      'models:\n  - model_id: m\n    model_type: vision\nserver:\n  port: 70000\n  auth:\n' +
      '    provider_config: {type: saml}\n',
  );
  const lines = message.split('\n');
  assert.match(lines[0] ?? '', /^Invalid run config my-run\.yaml \(4 problems\):$/);
  assert.equal(lines.length, 5);
  assert.ok(
    lines.some((l) =>
      /^ {2}- models\[0\]\.model_type: got string "vision"; use one of: llm, embedding\.$/.test(l),
    ),
  );
  assert.ok(lines.some((l) => /^ {2}- server\.port: must be at most 65535/.test(l)));
  assert.ok(
    lines.some((l) =>
      /^ {2}- server\.auth\.provider_config\.type: got string "saml", which is not a known type; use one of 'oauth2_token', 'custom'\.$/.test(
        l,
      ),
    ),
  );
  assert.ok(
    lines.some((l) => /^ {2}- providers\.inference\[0\]\.config\.url: must be a valid url/.test(l)),
  );
});

test('an unknown provider_type is named with the list of known types', () => {
  const message = configError(provider('{}', 'x', 'remote::nope'));
  assert.match(
    message,
    /providers\.inference\[0\]\.provider_type: unknown provider_type 'remote::nope'/,
  );
  assert.match(message, /Known provider types: .*remote::fake/);
  assert.match(message, /remote::ollama/);
});

test('an inference provider listed under another API is rejected', () => {
  const text = `providers:\n  safety:\n    - {provider_id: s, provider_type: ${FAKE_TYPE}, config: {url: http://x}}\n`;
  assert.match(
    configError(text),
    /providers\.safety\[0\]\.provider_type: .*list it under providers\.inference/,
  );
});

test('provider ids must be unique', () => {
  const text =
    provider('{url: http://a}', 'dup') +
    `    - {provider_id: dup, provider_type: ${FAKE_TYPE}, config: {url: http://b}}\n`;
  assert.match(
    configError(text),
    /providers\.inference\[1\]\.provider_id: provider_id 'dup' is already used by providers\.inference\[0\]/,
  );
});

test('required fields report that they are missing', () => {
  assert.match(configError('version: 2\n'), /providers: is required \(a mapping\); add it\./);
  assert.match(
    configError(provider('{}')),
    /providers\.inference\[0\]\.config\.url: is required \(a string\)/,
  );
});

test('model provider rules: default, ambiguity, unknown provider, embedding dimension', () => {
  const one = parseRunConfig(provider('{url: http://a}') + 'models:\n  - model_id: m\n', FILE, {
    env: {},
  });
  assert.equal(one.config.models[0]?.provider_id, 'p');
  assert.equal(one.config.models[0]?.provider_model_id, 'm');

  const two =
    provider('{url: http://a}', 'a') +
    `    - {provider_id: b, provider_type: ${FAKE_TYPE}, config: {url: http://b}}\n`;
  assert.match(
    configError(two + 'models:\n  - model_id: m\n'),
    /models\[0\]\.provider_id: model 'm' has no provider_id and there are 2 inference providers \('a', 'b'\); please specify a provider_id/,
  );
  assert.match(
    configError('providers: {}\nmodels:\n  - model_id: m\n'),
    /no inference provider is configured; add one under providers\.inference/,
  );
  assert.match(
    configError(two + 'models:\n  - {model_id: m, provider_id: c}\n'),
    /models\[0\]\.provider_id: model 'm' names provider 'c', which is not a configured inference provider; use one of 'a', 'b'/,
  );

  const noDim = configError(
    provider('{url: http://a}') + 'models:\n  - {model_id: e, model_type: embedding}\n',
  );
  assert.match(
    noDim,
    /models\[0\]\.metadata\.embedding_dimension: embedding model 'e' must have an embedding dimension in its metadata \(it is missing\); add e\.g\./,
  );
  const badDim = configError(
    provider('{url: http://a}') +
      'models:\n  - {model_id: e, model_type: embedding, metadata: {embedding_dimension: "768"}}\n',
  );
  assert.match(badDim, /got string "768"/);
});

test('a model whose provider_id is empty or disabled is dropped', () => {
  const text =
    provider('{url: http://a}') +
    'models:\n  - {model_id: a, provider_id: ""}\n  - {model_id: b, provider_id: "${env.P:=__disabled__}"}\n  - {model_id: c, provider_id: "${env.P:=}"}\n';
  assert.deepEqual(parseRunConfig(text, FILE, { env: {} }).config.models, []);
});

test('YAML syntax errors give the file, line and column without quoting the source', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'llamagate-config-'));
  try {
    const file = join(dir, 'bad-syntax.yaml');
    await writeFile(file, 'providers:\n  inference:\n    - provider_id: [ollama\n  x: 1\n');
    const message = await loadError(file);
    assert.ok(
      message.startsWith(`Invalid run config ${file}: YAML syntax error at line `),
      message,
    );
    assert.match(message, /at line \d+, column \d+: /);
    assert.ok(!message.includes('\n'), message);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.match(configError('a: 1\na: 2\n'), /line 2, column 1: Map keys must be unique/);
});

test('non-mapping and empty files are rejected clearly', () => {
  assert.match(configError(''), /the file is empty/);
  assert.match(configError('- a\n- b\n'), /top level must be a mapping.*not a list/);
});

test('a missing or unreadable file gives a clear message', async () => {
  assert.match(
    await loadError('test/fixtures/config/does-not-exist.yaml'),
    /^Run config test\/fixtures\/config\/does-not-exist\.yaml not found\./,
  );
  assert.match(await loadError('test/fixtures/config'), /is a directory/);
});

test('bad --env keys given to the loader are rejected', () => {
  assert.throws(
    () => parseRunConfig('providers: {}\n', FILE, { env: {}, cliEnv: { 'BAD-KEY': 'x' } }),
    /variable name "BAD-KEY" may only contain letters, digits and _/,
  );
});

test(
  'real provider types: their own config schema runs behind the loader',
  { skip: REAL_TYPES.length === 0 ? 'no provider types are registered yet' : false },
  async (t) => {
    for (const type of REAL_TYPES) {
      await t.test(type, () => {
        const text = provider('{}', 'real', type);
        const factory = findProviderFactory(type);
        assert.ok(factory);
        if (factory.configSchema.safeParse({}).success) {
          const loaded = parseRunConfig(text, FILE, { env: {} });
          assert.ok(loaded.providerConfigs.has('real'));
        } else {
          assert.match(configError(text), /providers\.inference\[0\]\.config/);
        }
        const unknown = configError(provider('{}', 'real', `${type}-typo`));
        assert.ok(unknown.includes(type), 'the known types list names the real type');
      });
    }
  },
);
