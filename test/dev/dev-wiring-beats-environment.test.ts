/**
 * `llamagate dev` wires its three servers to each other. Tutorial variables left in the shell
 * (another Keycloak, another stack server port) must not point the pieces elsewhere.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDev } from '../../src/dev/index.js';
import type { RunningDev } from '../../src/dev/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { REPO_ROOT, freePort } from '../support/processes.js';

describe('llamagate dev wiring', { timeout: 60_000 }, () => {
  let dir: string;
  let ollama: OllamaStandin;
  let dev: RunningDev;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'llamagate-dev-wiring-'));
    ollama = await startOllamaStandin({ reply: 'wired' });
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    dev = await startDev({
      host: '127.0.0.1',
      idpPort: 0,
      stackPort: 0,
      clientPort: 0,
      config: join(REPO_ROOT, 'configs/run.yaml'),
      dataDir: dir,
      log: silentLogger(),
      env: {
        OLLAMA_URL: ollama.url,
        // Leftovers of a tutorial setup: all of them name servers that are not these.
        KEYCLOAK_BASE_URL: nowhere,
        KEYCLOAK_TOKEN_URL: `${nowhere}/realms/lls-auth/protocol/openid-connect/token`,
        KEYCLOAK_ISSUER: `${nowhere}/realms/lls-auth`,
        KEYCLOAK_JWKS_URI: `${nowhere}/realms/lls-auth/protocol/openid-connect/certs`,
        LLS_BASE_URL: nowhere,
        LLAMA_STACK_PORT: '0',
      },
    });
  });

  after(async () => {
    await dev?.close();
    await ollama?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the IdP asked for port 0 names its real port as issuer', () => {
    const port = new URL(dev.idp.url).port;
    assert.notEqual(port, '0');
    assert.equal(dev.idp.issuer, `http://localhost:${port}/realms/lls-auth`);
  });

  it('the client and the stack server use dev’s own servers, not the environment', async () => {
    assert.equal(dev.client.settings.keycloakBaseUrl, dev.idp.issuer.replace(/\/realms\/.*/, ''));
    assert.equal(dev.client.settings.tokenUrl, dev.idp.tokenUrl);
    assert.equal(dev.client.settings.llsBaseUrl, `http://localhost:${dev.stack.port}`);

    const res = await fetch(`${dev.client.url}/api/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Who are you?' }),
    });
    const body = (await res.json()) as { completion_message: { content: string } };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.completion_message.content, 'wired');
  });
});
