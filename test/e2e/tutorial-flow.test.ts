/**
 * The tutorial end to end with real processes: `llamagate idp`, `llamagate stack run` and
 * `llamagate client` each run on their own, Ollama is the stand-in, and the tutorial's "Verify"
 * commands are run as written (with the real curl when installed).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { runCli, scrubbedEnv, stopAll } from '../support/processes.js';
import { invoke, scratchDir, startTrio } from './servers.js';
import type { IdpProcess, ServerProcess } from './servers.js';

const REPLY = 'I am a llama, served through the gateway.';
const HAS_CURL = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
const sh = promisify(execFile);

describe('the tutorial flow across three processes', { timeout: 120_000 }, () => {
  let scratch: Awaited<ReturnType<typeof scratchDir>>;
  let ollama: OllamaStandin;
  let idp: IdpProcess;
  let stack: ServerProcess;
  let client: ServerProcess;
  let env: Record<string, string>;

  before(async () => {
    scratch = await scratchDir();
    ollama = await startOllamaStandin({ reply: REPLY });
    ({ idp, stack, client, env } = await startTrio({ cwd: scratch.dir, ollamaUrl: ollama.url }));
  });

  after(async () => {
    await stopAll();
    await ollama?.close();
    await scratch?.remove();
  });

  it('POST /api/invoke answers the 0.2.x chat-completion shape with the model text', async () => {
    const res = await invoke(client.url, { prompt: 'Who are you?' });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const message = res.json.completion_message;
    assert.equal(message.role, 'assistant');
    assert.equal(message.content, REPLY);
    assert.equal(message.stop_reason, 'end_of_turn');
    assert.deepEqual(message.tool_calls, []);
    assert.ok(Array.isArray(res.json.metrics));

    const seen = ollama.requests.filter((r) => r.path === '/api/chat').at(-1)!;
    const body = seen.body as { model: string; messages: Array<{ content: string }> };
    assert.equal(body.model, 'llama3.2:3b');
    assert.equal(body.messages.at(-1)!.content, 'Who are you?');
  });

  it('stream: true relays the stack server SSE events as they come', async () => {
    ollama.script({ reply: 'one two three four', tokenDelayMs: 30 });
    const res = await fetch(`${client.url}/api/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Count', stream: true }),
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = (await res.text())
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => JSON.parse(block.slice('data: '.length)).event);
    assert.equal(events[0].event_type, 'start');
    assert.equal(events.at(-1).event_type, 'complete');
    assert.equal(events.at(-1).stop_reason, 'end_of_turn');
    const progress = events.filter((e) => e.event_type === 'progress');
    assert.ok(progress.length > 1, 'the text arrives in several progress events');
    assert.equal(progress.map((e) => e.delta.text).join(''), 'one two three four');
  });

  it('the stack server refuses a request without a token: 401 with WWW-Authenticate', async () => {
    const res = await fetch(`${stack.url}/v1/inference/chat-completion`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model_id: 'llama3.2:3b', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
    const body = (await res.json()) as { error: { type: string; message: string } };
    assert.equal(body.error.type, 'authentication_error');
  });

  it('TOKEN=$(llamagate token), then the direct curl to the stack server, as written', async () => {
    const token = await runCli(['token'], { cwd: scratch.dir, env });
    assert.equal(token.code, 0, token.stderr);
    assert.match(token.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'stdout is exactly the token');
    const TOKEN = token.stdout.trim();

    const url = `${stack.url}/v1/inference/chat-completion`;
    const data =
      '{"model_id":"llama3.2:3b","messages":[{"role":"user","content":"Hello from Llama Stack!"}]}';
    const text = HAS_CURL
      ? await curl(
          `curl -s -X POST "${url}" \\
  -H "Authorization: Bearer $TOKEN" \\
  -H "Content-Type: application/json" \\
  -d '${data}'`,
          { TOKEN },
        )
      : await fetchText(
          url,
          {
            authorization: `Bearer ${TOKEN}`,
            'content-type': 'application/json',
          },
          data,
        );
    const answer = JSON.parse(text);
    assert.equal(answer.completion_message.content, REPLY);
    const last = ollama.requests.filter((r) => r.path === '/api/chat').at(-1)!;
    const sent = last.body as { messages: Array<{ content: string }> };
    assert.equal(sent.messages.at(-1)!.content, 'Hello from Llama Stack!');
  });

  it('independent libraries accept the IdP process: openid-client discovery, jose verify', async () => {
    const config = await oidc.discovery(
      new URL(idp.issuer),
      'lls-client',
      undefined,
      oidc.ClientSecretPost(env.KEYCLOAK_CLIENT_SECRET!),
      { execute: [oidc.allowInsecureRequests] },
    );
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, idp.issuer);
    const tokens = await oidc.clientCredentialsGrant(config);
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri!));
    const { payload } = await jwtVerify(tokens.access_token, jwks, {
      issuer: idp.issuer,
      audience: 'lls-client',
      algorithms: ['RS256'],
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    assert.equal(payload.azp, 'lls-client');
    await assert.rejects(
      jwtVerify(tokens.access_token, jwks, { issuer: idp.issuer, audience: 'llama-stack' }),
      { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' },
    );
    // The stack server takes the same token.
    const res = await fetch(`${stack.url}/v1/models`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(res.status, 200);
  });

  it('the curl to the client service, as written', async () => {
    const url = `${client.url}/api/invoke`;
    const text = HAS_CURL
      ? await curl(`curl -X POST ${url} \\
  -H "Content-Type: application/json" \\
  -d '{"prompt": "Who are you?"}'`)
      : await fetchText(url, { 'content-type': 'application/json' }, '{"prompt": "Who are you?"}');
    assert.equal(JSON.parse(text).completion_message.content, REPLY);
  });

  it('the gateway never forwards the caller token to Ollama', () => {
    const chats = ollama.requests.filter((r) => r.path === '/api/chat');
    assert.ok(chats.length >= 4, `${chats.length} chats reached Ollama`);
    for (const r of ollama.requests) assert.equal(r.headers.authorization, undefined, r.path);
  });
});

/** Runs a tutorial command line in a POSIX shell; returns curl's stdout. */
async function curl(command: string, vars: Record<string, string> = {}): Promise<string> {
  const { stdout } = await sh('sh', ['-c', command], {
    env: scrubbedEnv(vars),
    timeout: 30_000,
  });
  return stdout;
}

async function fetchText(url: string, headers: Record<string, string>, body: string) {
  const res = await fetch(url, { method: 'POST', headers, body });
  return res.text();
}
