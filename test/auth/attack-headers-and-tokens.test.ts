import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CompactSign } from 'jose';
import { startJwksServer } from '../support/jwks-server.js';
import type { JwksServer } from '../support/jwks-server.js';
import {
  AUDIENCE,
  generateTestKey,
  ISSUER,
  keycloakClaims,
  mintToken,
  rawToken,
} from '../support/tokens.js';
import { assertEnvelope, bearer, rawHttp, send, startAuthStack } from './attack-http.js';
import type { AuthStack, Reply } from './attack-http.js';

/** Either 200 or 401 is acceptable; anything else is not. */
const ANY = 0;

describe('Authorization header and token attacks over HTTP', () => {
  let env: AuthStack;
  let attacker: JwksServer;
  let alice: string;

  before(async () => {
    env = await startAuthStack();
    attacker = await startJwksServer();
    alice = await env.token('alice');
  });
  after(async () => {
    await env?.close();
    await attacker?.close();
  });

  const models = (headers: Record<string, string>) =>
    send('GET', `${env.stack.url}/v1/models`, { headers });
  const rawModels = (headerLines: string) =>
    rawHttp(env.stack.port, `GET /v1/models HTTP/1.1\r\nHost: x\r\n${headerLines}`);

  it('refuses two Authorization headers instead of picking one', async () => {
    const bob = await env.token('bob');
    for (const second of [bob, alice]) {
      const res = await rawModels(
        `Authorization: Bearer ${alice}\r\nAuthorization: Bearer ${second}`,
      );
      assert.match(assertEnvelope(res, 401, 'unauthorized'), /exactly one Authorization header/);
      assert.match(res.headers['www-authenticate']!, /error="invalid_request"/);
    }
  });

  it('accepts the scheme in any case, with tabs or several spaces before the token', async () => {
    for (const value of [
      `bearer ${alice}`,
      `BEARER ${alice}`,
      `Bearer\t${alice}`,
      `Bearer   ${alice}`,
    ]) {
      const res = await rawModels(`Authorization: ${value}`);
      assert.equal(res.status, 200, `${JSON.stringify(value.slice(0, 8))}: ${res.text}`);
    }
  });

  it('refuses other schemes, credential lists and tokens with inner spaces', async () => {
    const cases: [string, RegExp][] = [
      [
        `Basic ${Buffer.from('alice:pw').toString('base64')}`,
        /use "Authorization: Bearer <token>"/,
      ],
      [`Bearer ${alice}, Bearer ${alice}`, /malformed token/],
      [`Bearer ${alice} extra`, /malformed token/],
      [`Token ${alice}`, /use "Authorization: Bearer <token>"/],
      ['Bearer', /empty Bearer token/],
    ];
    for (const [value, message] of cases) {
      assert.match(
        assertEnvelope(await models({ authorization: value }), 401, 'unauthorized'),
        message,
      );
    }
  });

  it('answers 431 to a header beyond the server limit and keeps serving', async () => {
    const res = await rawModels(`Authorization: Bearer ${'a'.repeat(20_000)}`);
    assert.equal(res.status, 431);
    const big = await rawModels(`Authorization: Bearer ${'a'.repeat(15_000)}`);
    assertEnvelope(big, 401, 'unauthorized');
    assert.equal((await fetch(`${env.stack.url}/v1/health`)).status, 200);
  });

  it('refuses ambiguous message framing and header syntax at the parser (no desync)', async () => {
    const heads = [
      'POST /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked',
      'POST /v1/models HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity',
      'POST /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5',
      'GET /v1/health HTTP/1.1\r\nHost: x\r\nHost: y',
      `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization : Bearer ${alice}`,
      `GET /v1/models HTTP/1.1\r\nHost: x\r\n Authorization: Bearer ${alice}`,
    ];
    for (const head of heads) {
      const res = await rawHttp(env.stack.port, head, '0\r\n\r\n');
      assert.equal(res.status, 400, `${JSON.stringify(head)}: ${res.text}`);
    }
    assert.equal((await fetch(`${env.stack.url}/v1/health`)).status, 200);
  });

  it('never contacts key servers named by jku, x5u, jwk or x5c headers', async () => {
    const evil = await generateTestKey('ES256');
    attacker.setKeys([evil.publicJwk]);
    const hints = {
      jku: attacker.uri,
      x5u: `${attacker.origin}/cert.pem`,
      jwk: evil.publicJwk,
      x5c: ['MIIBattacker'],
    };
    const ownKid = await mintToken(evil, keycloakClaims({ sub: 'mallory' }), hints);
    const ourKid = await mintToken({ ...evil, kid: env.key.kid }, keycloakClaims(), hints);
    assert.match(
      assertEnvelope(await models(bearer(ownKid)), 401, 'unauthorized'),
      /unknown signing key/,
    );
    assert.match(
      assertEnvelope(await models(bearer(ourKid)), 401, 'unauthorized'),
      /invalid signature/,
    );
    assert.equal(attacker.requests, 0, 'the key server named in the token was contacted');
  });

  it('answers unknown-key kids (traversal, SQL-like, random) with 401 and at most one JWKS fetch', async () => {
    const before = env.idp.fetches;
    const kids = ['../../../../etc/passwd', "' OR '1'='1' --", '%00', 'a/b\\c', '{"$ne":null}'];
    for (let round = 0; round < 4; round++) {
      const batch = Array.from({ length: 50 }, (_, i) => kids[i] ?? `kid-${randomUUID()}`);
      const replies = await Promise.all(
        batch.map((kid) =>
          models(bearer(rawToken({ alg: 'ES256', typ: 'JWT', kid }, keycloakClaims(), 'c2ln'))),
        ),
      );
      for (const res of replies) {
        assert.match(assertEnvelope(res, 401, 'unauthorized'), /unknown signing key/);
      }
    }
    // 200 made-up kids inside one refetch cooldown (10 s by default).
    assert.ok(env.idp.fetches - before <= 1, `${env.idp.fetches - before} JWKS fetches`);
  });

  it('judges odd claim types and look-alike values with 401 or 200, never a 5xx', async () => {
    // Signed with the real key: what a buggy or hostile IdP configuration could issue.
    const sign = (payload: string) =>
      new CompactSign(Buffer.from(payload))
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: env.key.kid })
        .sign(env.key.privateKey);
    const claims = (extra: Record<string, unknown>) => JSON.stringify(keycloakClaims(extra));
    const withRaw = (member: string) => claims({}).replace(/^\{/, `{${member},`);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string, number][] = [
      ['exp as a string', claims({ exp: String(now + 300) }), 401],
      ['negative exp', claims({ exp: -1 }), 401],
      // Parses to Infinity; whether to trust such an IdP is open, a crash is not.
      ['exp 1e400 (Infinity)', withRaw('"exp":1e400').replace(/"exp":\d+,/, ''), ANY],
      ['nbf as a string', claims({ nbf: 'now' }), 401],
      ['nbf 1e400', withRaw('"nbf":1e400'), 401],
      ['iat as a string', claims({ iat: String(now) }), 401],
      ['iat far in the future', claims({ iat: now + 10 ** 9 }), 401],
      ['aud as an object', claims({ aud: { [AUDIENCE]: true } }), 401],
      ['iss with a trailing slash', claims({ iss: `${ISSUER}/` }), 401],
      ['iss in upper case', claims({ iss: ISSUER.toUpperCase() }), 401],
      ['typ bearer in lower case', claims({ typ: 'bearer' }), 200],
      ['typ ID', claims({ typ: 'ID' }), 401],
      ['typ Refresh', claims({ typ: 'Refresh' }), 401],
      ['typ as a number', claims({ typ: 42 }), 401],
      ['a __proto__ member in the payload', withRaw('"__proto__":{"groups":["admin"]}'), 200],
      [
        'deeply nested claim',
        claims({ deep: JSON.parse(`${'['.repeat(3000)}${']'.repeat(3000)}`) }),
        200,
      ],
      ['payload that is not an object', '[1,2,3]', 401],
      ['payload that is not JSON', 'not json', 401],
    ];
    for (const [label, payload, status] of cases) {
      const res = await models(bearer(await sign(payload)));
      if (status === ANY) assert.ok([200, 401].includes(res.status), `${label}: ${res.text}`);
      else assert.equal(res.status, status, `${label}: ${res.text}`);
      if (res.status === 401) assertEnvelope(res, 401, 'unauthorized');
    }
  });

  it('never echoes the token in error bodies or headers', async () => {
    const valid = await env.token('carol');
    const [head, payload, signature] = valid.split('.') as [string, string, string];
    const tokens = [
      `${head}.${payload}.${signature.slice(0, -4)}AAAA`,
      await env.token('carol', { exp: Math.floor(Date.now() / 1000) - 3600 }),
      await env.token('carol', { aud: 'someone-else' }),
      rawToken({ alg: 'none', kid: env.key.kid }, keycloakClaims()),
      `${head}.${payload}`,
      'x'.repeat(15_000),
      `opaque-${randomUUID()}`,
    ];
    for (const token of tokens) {
      const res: Reply = await models(bearer(token));
      assertEnvelope(res, 401, 'unauthorized');
      const everything = res.text + JSON.stringify(res.headers);
      for (const part of token.split('.').filter((p) => p.length >= 16)) {
        assert.ok(!everything.includes(part), `token part echoed: ${part.slice(0, 20)}...`);
      }
      assert.doesNotMatch(res.text, /\bat .*\(.*:\d+:\d+\)|node_modules|Error:/);
    }
  });
});
