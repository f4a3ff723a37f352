import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { capturingLogger } from '../support/capturing-logger.js';
import type { RunningStack } from '../../src/stack/index.js';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, postJson, startTestStack } from '../support/stack.js';
import { AUDIENCE, generateTestKey, ISSUER, keycloakClaims, mintToken } from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';

const { log, lines } = capturingLogger('info');

let key: TestKey;
let jwks: JwksServer;
let ollama: OllamaStandin;
let stack: RunningStack;

before(async () => {
  key = await generateTestKey('RS256');
  jwks = await startJwksServer([key.publicJwk]);
  ollama = await startOllamaStandin();
  const auth = `
server:
  auth:
    provider_config:
      type: oauth2_token
      jwks: {uri: "${jwks.uri}"}
      issuer: "${ISSUER}"
      audience: ${AUDIENCE}
`;
  stack = await startTestStack(ollamaRunYaml(ollama.url, auth), { log });
});
after(async () => {
  await stack.close();
  await ollama.close();
  await jwks.close();
});

function requestLines(status: number) {
  return lines.filter((l) => l.msg === 'request' && l.status === status);
}

test('the request log line of a refused token names the failed check and never holds the token', async () => {
  const expired = await mintToken(key, { ...keycloakClaims({ sub: 'alice' }), exp: 1_000_000 });
  const res = await postJson(
    `${stack.url}/v1/chat/completions`,
    { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] },
    { authorization: `Bearer ${expired}` },
  );
  assert.equal(res.status, 401);
  await new Promise((r) => setTimeout(r, 50));

  const [line] = requestLines(401);
  assert.ok(line, JSON.stringify(lines));
  assert.equal(line.path, '/v1/chat/completions');
  assert.match(String(line.error), /expired/);
  assert.equal(typeof line.reqId, 'string');
  assert.equal(typeof line.durationMs, 'number');
  assert.ok(!JSON.stringify(lines).includes(expired), 'the token must never be logged');
});

test('a successful request logs one info line with status, duration and principal', async () => {
  const token = await mintToken(key, keycloakClaims({ sub: 'bob' }));
  const res = await postJson(
    `${stack.url}/v1/chat/completions`,
    { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] },
    { authorization: `Bearer ${token}` },
  );
  assert.equal(res.status, 200, res.text);
  await new Promise((r) => setTimeout(r, 50));

  const ok = requestLines(200).filter((l) => l.principal === 'bob');
  assert.equal(ok.length, 1);
  assert.equal(ok[0]?.level, 30);
  assert.equal(ok[0]?.error, undefined);
  assert.ok(!JSON.stringify(lines).includes(token), 'the token must never be logged');
});
