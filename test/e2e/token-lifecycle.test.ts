/**
 * Token lifetime across real processes: short-lived tokens expire and are replaced without the
 * caller noticing, an expired token is refused by the stack server, a wrong client secret is
 * reported plainly, and `llamagate idp rotate-keys` run next to live servers breaks nothing.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { runCli, stopAll } from '../support/processes.js';
import {
  fetchToken,
  invoke,
  realmWithLifespan,
  runYamlWith,
  scratchDir,
  startTrio,
} from './servers.js';
import type { ServerProcess, Trio } from './servers.js';

const LIFESPAN_S = 4;

/** POST the tutorial's direct request to the stack server with `token`. */
function chatDirect(stackUrl: string, token: string) {
  return fetch(`${stackUrl}/v1/inference/chat-completion`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model_id: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(15_000),
  });
}

describe('tokens over time, across processes', { timeout: 150_000 }, () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let ollama: OllamaStandin;
  let trio: Trio;
  let wrongSecretClient: ServerProcess;
  /** How many tokens the client service has fetched so far (from its debug log). */
  const tokensFetched = () =>
    trio.client.proc.output().match(/obtained access token/g)?.length ?? 0;
  /** Log lines reach stdout in batches flushed every 100 ms: wait a little for the count. */
  const tokensFetchedAtLeast = async (count: number) => {
    for (let waited = 0; tokensFetched() < count && waited < 2000; waited += 50) await sleep(50);
    return tokensFetched();
  };

  before(async () => {
    scratch = await scratchDir();
    ollama = await startOllamaStandin({ reply: 'still here' });
    // The shipped run.yaml allows 30 s of clock skew and one unknown-kid key refetch per 10 s;
    // both are shortened so that expiry and rotation can be observed within seconds.
    const config = await runYamlWith(scratch.dir, {
      clock_skew_seconds: 0,
      jwks: {
        uri: '${env.KEYCLOAK_JWKS_URI}',
        refetch_cooldown_seconds: 1,
      },
    });
    const realmFile = await realmWithLifespan(scratch.dir, LIFESPAN_S);
    trio = await startTrio({
      cwd: scratch.dir,
      ollamaUrl: ollama.url,
      realmFile,
      config,
      clientEnv: { DEBUG: 'true' },
      extraClients: [{ KEYCLOAK_CLIENT_SECRET: 'not-the-secret' }],
    });
    wrongSecretClient = trio.extraClients[0]!;
  });

  after(async () => {
    await stopAll();
    await ollama?.close();
    await scratch?.remove();
  });

  it('the client keeps answering across token expiry and fetches a new token', async () => {
    const direct = await fetchToken(trio.idp.base);
    assert.equal((await chatDirect(trio.stack.url, direct)).status, 200);

    const first = await invoke(trio.client.url, { prompt: 'one' });
    assert.equal(first.status, 200, first.text);
    const fetchedBefore = await tokensFetchedAtLeast(1);
    assert.ok(fetchedBefore >= 1);

    await sleep((LIFESPAN_S + 1.5) * 1000);
    const second = await invoke(trio.client.url, { prompt: 'two' });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.completion_message.content, 'still here');
    assert.ok(
      (await tokensFetchedAtLeast(fetchedBefore + 1)) > fetchedBefore,
      'a new token was fetched after expiry',
    );

    // The token taken at the start has expired by now: replayed directly, it is refused.
    const replay = await chatDirect(trio.stack.url, direct);
    assert.equal(replay.status, 401);
    assert.match(replay.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    const body = (await replay.json()) as { error: { message: string } };
    assert.match(body.error.message, /expired/i);
  });

  it('a wrong client secret: /api/invoke answers 502 naming KEYCLOAK_CLIENT_SECRET', async () => {
    const [res, token] = await Promise.all([
      invoke(wrongSecretClient.url, { prompt: 'Who are you?' }),
      runCli(['token'], {
        cwd: scratch.dir,
        env: { ...trio.env, KEYCLOAK_CLIENT_SECRET: 'not-the-secret' },
      }),
    ]);
    assert.equal(res.status, 502, res.text);
    assert.match(res.json.error.message, /rejected the client credentials/);
    assert.match(res.json.error.message, /KEYCLOAK_CLIENT_SECRET/);
    assert.doesNotMatch(res.text, /not-the-secret/, 'the secret is never echoed');

    // `TOKEN=$(llamagate token)` must be able to tell failure from success.
    assert.equal(token.code, 1, 'llamagate token exits 1 when no token was obtained');
    assert.equal(token.stdout, '');
    assert.match(token.stderr, /KEYCLOAK_CLIENT_SECRET/);
  });

  it('rotate-keys while everything runs: new kid in new tokens, requests keep succeeding', async () => {
    const oldKid = decodeProtectedHeader(await fetchToken(trio.idp.base)).kid;
    const statuses: number[] = [];
    let running = true;
    const traffic = (async () => {
      while (running) {
        statuses.push((await invoke(trio.client.url, { prompt: 'during rotation' })).status);
        await sleep(250);
      }
    })();

    const rotate = await runCli(['idp', 'rotate-keys', '--data-dir', `${scratch.dir}/idp`], {
      cwd: scratch.dir,
    });
    assert.equal(rotate.code, 0, rotate.stderr);
    const [, newKid] = /New signing key (\S+) added/.exec(rotate.stdout) ?? [];
    assert.ok(newKid && newKid !== oldKid, rotate.stdout);

    // The running IdP polls its key file; new tokens switch to the new key within a second or so.
    let token = await fetchToken(trio.idp.base);
    for (let i = 0; i < 40 && decodeProtectedHeader(token).kid !== newKid; i++) {
      await sleep(250);
      token = await fetchToken(trio.idp.base);
    }
    assert.equal(decodeProtectedHeader(token).kid, newKid);
    // The stack server has only the old key cached: the unknown kid makes it refetch the JWKS.
    assert.equal((await chatDirect(trio.stack.url, token)).status, 200);

    // Let the client's own token expire so that it, too, switches to a new-key token.
    const fetchedBefore = tokensFetched();
    await sleep((LIFESPAN_S + 1) * 1000);
    running = false;
    await traffic;
    const last = await invoke(trio.client.url, { prompt: 'after rotation' });
    assert.equal(last.status, 200, last.text);
    assert.ok(tokensFetched() > fetchedBefore, 'the client fetched a token after the rotation');
    assert.ok(statuses.length >= 5, `traffic kept flowing (${statuses.length} requests)`);
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      'no request failed during the rotation',
    );
  });
});
