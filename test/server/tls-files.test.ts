import assert from 'node:assert/strict';
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
