import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnvPairs, parseRunConfig, resolvePort } from '../../src/config/load.js';
import type { RunConfig } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors/errors.js';

const FILE = 'run.yaml';
const config = (yaml: string): RunConfig => parseRunConfig(yaml, FILE, { env: {} }).config;

test('port precedence: --port, then LLAMA_STACK_PORT, then server.port, then 8321', () => {
  const withPort = config('providers: {}\nserver:\n  port: 9100\n');
  const without = config('providers: {}\n');
  assert.equal(resolvePort(9300, { LLAMA_STACK_PORT: '9200' }, withPort), 9300);
  assert.equal(resolvePort(undefined, { LLAMA_STACK_PORT: '9200' }, withPort), 9200);
  assert.equal(resolvePort(undefined, { LLAMA_STACK_PORT: '' }, withPort), 9100);
  assert.equal(resolvePort(undefined, {}, withPort), 9100);
  assert.equal(resolvePort(undefined, {}, without), 8321);
  assert.equal(resolvePort(0, {}, withPort), 0, 'port 0 asks for any free port');
});

test('bad ports are start-up errors saying what to use', () => {
  const c = config('providers: {}\n');
  for (const bad of ['abc', '70000', '-1', '80.5']) {
    assert.throws(
      () => resolvePort(undefined, { LLAMA_STACK_PORT: bad }, c),
      (err: unknown) =>
        err instanceof ConfigError &&
        /LLAMA_STACK_PORT.*integer between 0 and 65535/.test(err.message),
    );
  }
  assert.throws(
    () => resolvePort(65536, {}, c),
    /--port 65536: use an integer between 0 and 65535/,
  );
});

test('--env pairs parse KEY=VALUE, split at the first =, later pairs win', () => {
  assert.deepEqual(parseEnvPairs(['A=1', 'URL=http://h:1/?x=y', 'EMPTY=', 'A=2', 'lower_ok=v']), {
    A: '2',
    URL: 'http://h:1/?x=y',
    EMPTY: '',
    lower_ok: 'v',
  });
  assert.deepEqual(parseEnvPairs([]), {});
});

test('bad --env pairs are rejected without echoing a possible secret', () => {
  assert.throws(
    () => parseEnvPairs(['A=1', 'sk-live-secret']),
    (err: unknown) =>
      err instanceof ConfigError &&
      /--env argument #2: expected KEY=VALUE/.test(err.message) &&
      !err.message.includes('sk-live-secret'),
  );
  assert.throws(() => parseEnvPairs(['BAD-KEY=1']), /--env argument #1: variable name "BAD-KEY"/);
  assert.throws(() => parseEnvPairs(['=value']), /an empty name/);
  assert.throws(() => parseEnvPairs(['A B=1']), ConfigError);
});

test('--env values override the environment, which is never modified', () => {
  const yaml = 'providers: {}\nserver:\n  host: ${env.HOST_X}\n  port: ${env.PORT_X:=8321}\n';
  const env = { HOST_X: 'from-env', PORT_X: '9001' };
  const merged = parseRunConfig(yaml, FILE, { env, cliEnv: { HOST_X: 'from-cli' } }).config;
  assert.equal(merged.server.host, 'from-cli');
  assert.equal(merged.server.port, 9001);
  assert.deepEqual(env, { HOST_X: 'from-env', PORT_X: '9001' });

  // Without an explicit env the process environment is read, and still left untouched.
  const before = { ...process.env };
  const fromProcess = parseRunConfig(yaml, FILE, { cliEnv: { HOST_X: 'cli-only' } }).config;
  assert.equal(fromProcess.server.host, 'cli-only');
  assert.equal(process.env.HOST_X, undefined);
  assert.deepEqual({ ...process.env }, before);
});

test('an --env value set to empty counts as unset', () => {
  const yaml = 'providers: {}\nserver:\n  host: ${env.H:=default-host}\n';
  const c = parseRunConfig(yaml, FILE, { env: { H: 'env-host' }, cliEnv: { H: '' } }).config;
  assert.equal(c.server.host, 'default-host');
});
