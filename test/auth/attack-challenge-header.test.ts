import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompactSign } from 'jose';
import { b64url, keycloakClaims, rawToken } from '../support/tokens.js';
import { assertEnvelope, rawHttp, startAuthStack } from './attack-http.js';
import type { AuthStack, Reply } from './attack-http.js';

/** RFC 6750 challenge with exactly realm, error and one quoted error_description, nothing else. */
const CHALLENGE =
  /^Bearer realm="llamagate", error="invalid_(token|request)", error_description="((?:[\x20-\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

describe('the WWW-Authenticate challenge under hostile token contents', () => {
  let env: AuthStack;

  before(async () => {
    env = await startAuthStack();
  });
  after(async () => {
    await env?.close();
  });

  async function get(token: string): Promise<Reply> {
    // Raw socket: the exact bytes of the answer, including any header a client would drop.
    return rawHttp(
      env.stack.port,
      `GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}`,
    );
  }

  function assertSafeChallenge(res: Reply, label: string): string {
    assertEnvelope(res, 401, 'unauthorized');
    const challenge = res.headers['www-authenticate'] ?? '';
    const match = CHALLENGE.exec(challenge);
    assert.ok(match, `${label}: malformed challenge ${JSON.stringify(challenge)}`);
    assert.ok(challenge.length < 400, `${label}: ${challenge.length}-byte challenge`);
    for (const name of Object.keys(res.headers)) assert.doesNotMatch(name, /^x-(evil|injected)/);
    assert.doesNotMatch(res.json.error.message, /[\u0000-\u001f\u007f-\uffff]/, label);
    return match[2]!;
  }

  const unsignedWithHeader = (header: Record<string, unknown>) =>
    rawToken({ alg: 'ES256', typ: 'JWT', ...header }, keycloakClaims(), 'c2ln');

  it('escapes quotes and backslashes of a made-up kid inside the quoted description', async () => {
    const res = await get(unsignedWithHeader({ kid: 'x", error="evil\\' }));
    const description = assertSafeChallenge(res, 'quoted kid');
    assert.match(description, /unknown signing key \(kid x\\", error=\\"evil\\\\\)/);
  });

  it('answers in the error envelope, with a challenge, for a kid holding CR LF, NUL or non-ASCII', async () => {
    for (const kid of [
      'é\u0000"\r\nX-Injected: 1',
      '\u2028kid\u0085',
      'k\r\n\r\nHTTP/1.1 200 OK',
    ]) {
      const res = await get(unsignedWithHeader({ kid }));
      const description = assertSafeChallenge(res, JSON.stringify(kid));
      assert.match(description, /^unknown signing key \(kid /);
    }
  });

  it('keeps the challenge short for a kilobytes-long kid', async () => {
    const description = assertSafeChallenge(
      await get(unsignedWithHeader({ kid: 'k'.repeat(8000) })),
      'long kid',
    );
    assert.match(description, /kid k+\.\.\.\)/);
  });

  it('stays well-formed for unsupported crit names with control and non-ASCII characters', async () => {
    for (const name of ['évil\r\nX-Injected: 1', 'x'.repeat(3000), 'a"b\\']) {
      const token = unsignedWithHeader({ kid: env.key.kid, crit: [name], [name]: 1 });
      assertSafeChallenge(await get(token), `crit ${JSON.stringify(name.slice(0, 20))}`);
    }
  });

  it('stays well-formed for signed iss and typ values and forged alg values', async () => {
    const signed = async (claims: Record<string, unknown>) =>
      new CompactSign(Buffer.from(JSON.stringify(keycloakClaims(claims))))
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: env.key.kid })
        .sign(env.key.privateKey);
    assertSafeChallenge(await get(await signed({ iss: 'a"b\\c\r\nX-Evil: 1é' })), 'iss');
    assertSafeChallenge(await get(await signed({ typ: 'ID"\u0000\u2028' })), 'typ');
    const alg = `${b64url({ alg: 'ES256"\r\nX-Evil: 1', kid: env.key.kid })}.${b64url(keycloakClaims())}.c2ln`;
    assertSafeChallenge(await get(alg), 'alg');
  });

  it('still answers health afterwards', async () => {
    const res = await fetch(`${env.stack.url}/v1/health`);
    assert.equal(res.status, 200);
  });
});
