/**
 * Outages across real processes: the IdP or the stack server goes away (or was never there)
 * while the others run. Callers get 503 with a plain message — never a 401 that would blame
 * their token — and everything recovers by itself once the missing server is back.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { freePort, stopAll } from '../support/processes.js';
import {
  clientEnv,
  fetchToken,
  invoke,
  scratchDir,
  startClientProcess,
  startIdpProcess,
  startStackProcess,
} from './servers.js';
import type { IdpProcess, ServerProcess } from './servers.js';

/** Repeats `attempt` until `ok` holds or `timeoutMs` passes; returns every status seen. */
async function until(
  attempt: () => Promise<number>,
  ok: (status: number) => boolean,
  timeoutMs: number,
): Promise<number[]> {
  const seen: number[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await attempt();
    seen.push(status);
    if (ok(status) || Date.now() > deadline) return seen;
    await sleep(500);
  }
}

describe('outages of the IdP and the stack server', { timeout: 180_000 }, () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let ollama: OllamaStandin;
  let idpPort: number;
  let idp: IdpProcess | undefined;
  let stack: ServerProcess;
  let warm: ServerProcess;
  let cold: ServerProcess;
  let idpBase: string;

  const startIdp = async () => {
    idp = await startIdpProcess({ cwd: scratch.dir, dataDir: `${scratch.dir}/idp`, port: idpPort });
  };
  const chat = (token: string) =>
    fetch(`${stack.url}/v1/inference/chat-completion`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model_id: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'hi' }],
      }),
      signal: AbortSignal.timeout(15_000),
    });

  before(async () => {
    scratch = await scratchDir();
    ollama = await startOllamaStandin({ reply: 'pong' });
    // The IdP's address is fixed up front, but the IdP itself starts only in the second test.
    idpPort = await freePort();
    idpBase = `http://localhost:${idpPort}`;
    const stackPort = await freePort();
    const env = clientEnv(idpBase, `http://127.0.0.1:${stackPort}`);
    const realm = `${idpBase}/realms/lls-auth`;
    [stack, warm, cold] = await Promise.all([
      startStackProcess({
        cwd: scratch.dir,
        idp: { issuer: realm, jwksUri: `${realm}/protocol/openid-connect/certs` },
        ollamaUrl: ollama.url,
        port: stackPort,
      }),
      startClientProcess({ cwd: scratch.dir, env }),
      startClientProcess({ cwd: scratch.dir, env }),
    ]);
  });

  after(async () => {
    await stopAll();
    await ollama?.close();
    await scratch?.remove();
  });

  it('IdP never started: /api/invoke 503 naming the IdP; the stack server 503, not 401', async () => {
    const res = await invoke(warm.url, { prompt: 'Who are you?' });
    assert.equal(res.status, 503, res.text);
    assert.match(res.json.error.message, /identity provider at .* is not reachable/);
    assert.match(res.json.error.message, /KEYCLOAK_BASE_URL/);

    // A well-formed token whose keys the stack server cannot load: it cannot judge the token,
    // so the answer says the authentication service is unavailable instead of blaming the token.
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ azp: 'lls-client' })
      .setProtectedHeader({ alg: 'RS256', kid: 'not-loaded-yet', typ: 'JWT' })
      .setIssuer(`${idpBase}/realms/lls-auth`)
      .setAudience('lls-client')
      .setSubject('service-account-lls-client')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const direct = await chat(token);
    assert.equal(direct.status, 503);
    const body = (await direct.json()) as { error: { message: string } };
    assert.match(body.error.message, /authentication service unavailable/);
  });

  it('the IdP starts later: both paths recover without restarting anything', async () => {
    await startIdp();
    // The stack server retries its key set after a short cooldown; meanwhile callers see 503.
    const seen = await until(
      async () => (await invoke(warm.url, { prompt: 'Who are you?' })).status,
      (s) => s === 200,
      30_000,
    );
    assert.equal(seen.at(-1), 200, `statuses: ${seen}`);
    assert.deepEqual(
      seen.filter((s) => s !== 200 && s !== 503),
      [],
      'only 503 while recovering',
    );
    assert.equal((await chat(await fetchToken(idpBase))).status, 200);
  });

  it('IdP killed after keys and token were fetched: warm client works, cold client 503', async () => {
    await idp!.proc.stop('SIGKILL');
    const [fromWarm, fromCold] = await Promise.all([
      invoke(warm.url, { prompt: 'still there?' }),
      invoke(cold.url, { prompt: 'first request' }),
    ]);
    assert.equal(fromWarm.status, 200, fromWarm.text);
    assert.equal(fromWarm.json.completion_message.content, 'pong');
    assert.equal(fromCold.status, 503, fromCold.text);
    assert.match(fromCold.json.error.message, /identity provider at .* is not reachable/);
  });

  it('the IdP comes back on the same port: the cold client recovers by itself', async () => {
    await startIdp();
    const res = await invoke(cold.url, { prompt: 'now?' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.completion_message.content, 'pong');
  });

  it('stack server down: /api/invoke answers 503 naming the stack server', async () => {
    assert.deepEqual(await stack.proc.stop(), { code: 0, signal: null }, 'SIGTERM: clean exit');
    const res = await invoke(warm.url, { prompt: 'anyone?' });
    assert.equal(res.status, 503, res.text);
    assert.match(res.json.error.message, /stack server at .* is not reachable/);
    assert.match(res.json.error.message, /LLS_BASE_URL/);
  });
});
