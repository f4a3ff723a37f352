import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRunConfig } from '../../src/config/load.js';
import { ollamaRunYaml, ollamaStackForSuite, postJson } from '../support/stack.js';

describe('run.yaml without a server section', () => {
  const env = ollamaStackForSuite({ reply: 'ok' });

  it('gets every documented server default', () => {
    const { config } = parseRunConfig(ollamaRunYaml('http://127.0.0.1:11434'), 'run.yaml', {
      env: {},
    });
    assert.equal(config.server.port, 8321);
    assert.equal(config.server.max_body_bytes, 16 * 1024 * 1024);
    assert.equal(config.server.send_timeout, 60);
    assert.equal(config.server.request_timeout, 60);
  });

  it('accepts request bodies up to the 16 MiB default, not the HTTP framework’s 1 MiB', async () => {
    const content = 'x'.repeat(2 * 1024 * 1024);
    const res = await postJson(`${env.stack.url}/v1/chat/completions`, {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content }],
    });
    assert.equal(res.status, 200, res.text);
  });
});
