import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authConfigSchema } from '../../src/auth/config.js';
import type { OAuth2Authenticator } from '../../src/auth/oauth2-authenticator.js';
import { ISSUER } from '../support/tokens.js';
import { bearer, rejectsWith, startedAuthenticator, TestClock } from './fixtures.js';
import { startStubService } from './stub-service.js';
import type { Recorded, StubReply } from './stub-service.js';

describe('RFC 7662 introspection', () => {
  let answer: (req: Recorded) => StubReply;
  let idp: Awaited<ReturnType<typeof startStubService>>;
  const clock = new TestClock();
  const active = (extra: Record<string, unknown> = {}) => ({
    status: 200,
    body: {
      active: true,
      sub: 'user-1',
      iss: ISSUER,
      aud: ['lls-client', 'account'],
      typ: 'Bearer',
      exp: Math.floor(clock.ms / 1000) + 300,
      groups: ['ml'],
      ...extra,
    },
  });

  before(async () => {
    idp = await startStubService((req) => answer(req));
  });
  after(() => idp.close());

  async function authenticator(inBody = false): Promise<OAuth2Authenticator> {
    const config = authConfigSchema.parse({
      provider_config: {
        type: 'oauth2_token',
        introspection: {
          url: `${idp.url}/introspect`,
          client_id: 'lls gateway',
          client_secret: 's3cr:et',
          send_secret_in_body: inBody,
        },
        issuer: ISSUER,
        audience: 'lls-client',
      },
    });
    return startedAuthenticator(config, clock);
  }

  it('posts the token with Basic client credentials and maps the answer', async () => {
    answer = () => active();
    const auth = await authenticator();
    const principal = await auth.authenticate(bearer('opaque-token-1'));
    assert.equal(principal.id, 'user-1');
    assert.deepEqual(principal.attributes.teams, ['ml']);
    const call = idp.calls.at(-1)!;
    assert.equal(call.method, 'POST');
    assert.equal(call.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(new URLSearchParams(call.body).get('token'), 'opaque-token-1');
    const basic = Buffer.from(call.headers.authorization!.slice(6), 'base64').toString();
    assert.equal(basic, 'lls+gateway:s3cr%3Aet');
    await auth.close();
  });

  it('can send the client credentials in the form body instead', async () => {
    answer = () => active();
    const auth = await authenticator(true);
    await auth.authenticate(bearer('opaque-token-2'));
    const call = idp.calls.at(-1)!;
    const form = new URLSearchParams(call.body);
    assert.equal(form.get('client_id'), 'lls gateway');
    assert.equal(form.get('client_secret'), 's3cr:et');
    assert.equal(call.headers.authorization, undefined);
    await auth.close();
  });

  it('answers 401 "token not active" for inactive tokens', async () => {
    answer = () => ({ status: 200, body: { active: false } });
    const auth = await authenticator();
    await rejectsWith(auth.authenticate(bearer('revoked')), 401, /^token not active$/);
    await auth.close();
  });

  for (const [label, extra, message] of [
    ['another issuer', { iss: 'http://evil/realms/x' }, /wrong issuer/],
    ['another audience', { aud: 'account' }, /wrong audience/],
    ['a refresh token', { typ: 'Refresh' }, /not an access token/],
    ['an expired token', { exp: 1_000 }, /token expired at 1970/],
  ] as const) {
    it(`refuses an active answer describing ${label}`, async () => {
      answer = () => active(extra);
      const auth = await authenticator();
      await rejectsWith(auth.authenticate(bearer(`t-${label.replace(/\W/g, '-')}`)), 401, message);
      await auth.close();
    });
  }

  for (const [label, reply] of [
    ['a 500', () => ({ status: 500, body: 'oops' })],
    ['a 401 for our credentials', () => ({ status: 401, body: { error: 'invalid_client' } })],
    ['a dropped connection', () => 'drop'],
    ['garbage', () => ({ status: 200, body: '<html>' })],
  ] as const) {
    it(`answers 503 when the introspection endpoint gives ${label}`, async () => {
      answer = reply as () => StubReply;
      const auth = await authenticator();
      await rejectsWith(
        auth.authenticate(bearer('any')),
        503,
        /authentication service unavailable/,
      );
      await auth.close();
    });
  }

  it('caches positive answers until exp, bounded', async () => {
    answer = () => active({ exp: Math.floor(clock.ms / 1000) + 30 });
    const auth = await authenticator();
    const calls = idp.calls.length;
    await auth.authenticate(bearer('cached-token'));
    await auth.authenticate(bearer('cached-token'));
    assert.equal(idp.calls.length, calls + 1);
    clock.advance(31);
    answer = () => active();
    await auth.authenticate(bearer('cached-token'));
    assert.equal(idp.calls.length, calls + 2, 'expired cache entry must be re-introspected');
    await auth.close();
  });

  it('re-introspects after at most a minute even without exp', async () => {
    answer = () => active({ exp: undefined });
    const auth = await authenticator();
    const calls = idp.calls.length;
    await auth.authenticate(bearer('no-exp-token'));
    clock.advance(59);
    await auth.authenticate(bearer('no-exp-token'));
    assert.equal(idp.calls.length, calls + 1);
    clock.advance(2);
    await auth.authenticate(bearer('no-exp-token'));
    assert.equal(idp.calls.length, calls + 2);
    await auth.close();
  });
});
