import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { AUDIENCE, generateTestKey, ISSUER, keycloakClaims, mintToken } from '../support/tokens.js';
import type { TestKey } from '../support/tokens.js';

const CHANNEL = 'http.server.request.start';

describe('bearer credential after authentication', () => {
  let idp: JwksServer;
  let ollama: OllamaStandin;
  let stack: RunningStack;
  let key: TestKey;
  const seen: IncomingMessage[] = [];
  const onRequest = (message: unknown) =>
    seen.push((message as { request: IncomingMessage }).request);

  before(async () => {
    key = await generateTestKey('RS256');
    idp = await startJwksServer([key.publicJwk]);
    ollama = await startOllamaStandin({ reply: 'hi' });
    stack = await startTestStack(
      ollamaRunYaml(
        ollama.url,
        `server:
  auth:
    provider_config:
      type: oauth2_token
      jwks: {uri: "${idp.uri}"}
      issuer: "${ISSUER}"
      audience: ${AUDIENCE}
`,
      ),
    );
    subscribe(CHANNEL, onRequest);
  });
  after(async () => {
    unsubscribe(CHANNEL, onRequest);
    await stack?.close();
    await ollama?.close();
    await idp?.close();
  });

  it('an open stream does not keep the verified bearer token', async () => {
    ollama.script({ tokens: ['one', ' two', ' three'], firstTokenDelayMs: 0, tokenDelayMs: 400 });
    const token = await mintToken(key, keycloakClaims({ sub: 'streamer' }));
    seen.length = 0;
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }),
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0, 'the stream started');

    const server = seen.find((r) => r.url === '/v1/chat/completions');
    assert.ok(server, 'the server-side request was observed');
    assert.ok(server.rawHeaders.includes('application/json'), 'other headers are kept');
    assert.equal(server.headers.authorization, undefined);
    assert.ok(
      !server.rawHeaders.some((v) => v.includes(token)),
      'the token is still among the raw headers',
    );

    let text = new TextDecoder().decode(first.value);
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      text += new TextDecoder().decode(r.value);
    }
    assert.match(text, /three/);
    assert.match(text, /\[DONE\]/);
  });

  it('the same token keeps working on later requests of the connection', async () => {
    const token = await mintToken(key, keycloakClaims({ sub: 'repeat' }));
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${stack.url}/v1/models`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 200, await res.text());
    }
  });
});
