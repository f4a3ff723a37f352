import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors/errors.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';

test('a TLS file that cannot be read is a configuration error naming the key and the path', async () => {
  const upstream = await startOllamaStandin();
  try {
    const yaml = ollamaRunYaml(
      upstream.url,
      'server:\n  tls_certfile: /nonexistent/cert.pem\n  tls_keyfile: /nonexistent/key.pem\n',
    );
    await assert.rejects(startTestStack(yaml), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(
        err.message,
        'server.tls_certfile: cannot read /nonexistent/cert.pem (ENOENT); fix the path in run.yaml.',
      );
      return true;
    });
  } finally {
    await upstream.close();
  }
});

test('TLS files that are not a PEM certificate and key are a configuration error, not a stack trace', async () => {
  const upstream = await startOllamaStandin();
  const dir = await mkdtemp(join(tmpdir(), 'llamagate-tls-'));
  try {
    await writeFile(join(dir, 'cert.pem'), 'not a certificate');
    await writeFile(join(dir, 'key.pem'), 'not a key');
    const yaml = ollamaRunYaml(
      upstream.url,
      `server:\n  tls_certfile: ${dir}/cert.pem\n  tls_keyfile: ${dir}/key.pem\n`,
    );
    await assert.rejects(startTestStack(yaml), (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(
        err.message,
        /^server\.tls_certfile and tls_keyfile are not a usable PEM certificate and matching key \(.+\); fix them in run\.yaml\.$/,
      );
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await upstream.close();
  }
});
