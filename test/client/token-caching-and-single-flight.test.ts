import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TokenProvider, type TokenSettings } from '../../src/client/token-provider.js';
import { startFakeTokenEndpoint, type FakeTokenEndpoint } from '../support/fake-token-endpoint.js';

const SECRET = 'caching-secret';

describe('token provider caching', () => {
  let idp: FakeTokenEndpoint;
  let settings: TokenSettings;

  before(async () => {
    idp = await startFakeTokenEndpoint({ clients: { 'lls-client': SECRET } });
    settings = {
      tokenUrl: idp.tokenUrl,
      clientId: 'lls-client',
      clientSecret: SECRET,
      clientAuth: 'client_secret_post',
      scope: undefined,
      tokenTimeoutMs: 2000,
    };
  });
  after(() => idp.close());
  beforeEach(() => {
    idp.requests.length = 0;
    idp.expiresIn = 300;
    idp.delayMs = 0;
  });

  it('requests one token for many calls while it is fresh', async () => {
    const provider = new TokenProvider(settings);
    const first = await provider.getToken();
    for (let i = 0; i < 5; i++) assert.equal(await provider.getToken(), first);
    assert.equal(idp.requests.length, 1);
    assert.deepEqual(idp.requests[0]?.form, {
      grant_type: 'client_credentials',
      client_id: 'lls-client',
      client_secret: SECRET,
    });
  });

  it('renews when less than max(10 s, 10 %) of the lifetime is left', async () => {
    let now = 1_000_000;
    const provider = new TokenProvider(settings, { now: () => now });
    const first = await provider.getToken();

    now += 269_000; // 31 s left of 300 s: still above the 30 s margin
    assert.equal(await provider.getToken(), first);
    now += 2_000; // 29 s left
    const second = await provider.getToken();
    assert.notEqual(second, first);
    assert.equal(idp.requests.length, 2);
  });

  it('uses a 10 s margin for short lifetimes and reuses very short tokens half-way', async () => {
    let now = 0;
    idp.expiresIn = 60;
    const provider = new TokenProvider(settings, { now: () => now });
    const first = await provider.getToken();
    now = 49_000;
    assert.equal(await provider.getToken(), first);
    now = 51_000;
    assert.notEqual(await provider.getToken(), first);

    idp.expiresIn = 4;
    const short = new TokenProvider(settings, { now: () => now });
    const s1 = await short.getToken();
    now += 1_900;
    assert.equal(await short.getToken(), s1);
    now += 200;
    assert.notEqual(await short.getToken(), s1);
  });

  it('falls back to a 60 s lifetime when expires_in is missing', async () => {
    let now = 0;
    idp.expiresIn = undefined;
    const provider = new TokenProvider(settings, { now: () => now });
    const first = await provider.getToken();
    now = 49_000;
    assert.equal(await provider.getToken(), first);
    now = 50_001;
    assert.notEqual(await provider.getToken(), first);
  });

  it('sends one token request for 20 concurrent callers', async () => {
    idp.delayMs = 100;
    const provider = new TokenProvider(settings);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => provider.getToken()));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(idp.requests.length, 1);
  });

  it('fetches anew after invalidate(), but keeps a newer token than the rejected one', async () => {
    const provider = new TokenProvider(settings);
    const first = await provider.getToken();
    provider.invalidate(first);
    const second = await provider.getToken();
    assert.notEqual(second, first);

    provider.invalidate(first); // a late caller reporting the old token
    assert.equal(await provider.getToken(), second);
    provider.invalidate();
    assert.notEqual(await provider.getToken(), second);
    assert.equal(idp.requests.length, 3);
  });

  it('authenticates with HTTP Basic when configured', async () => {
    const provider = new TokenProvider({ ...settings, clientAuth: 'client_secret_basic' });
    assert.match(await provider.getToken(), /^tok-/);
    assert.equal(idp.requests[0]?.auth, 'basic');
    assert.equal(idp.requests[0]?.form.client_secret, undefined);
  });

  it('recovers after a failed request instead of caching the failure', async () => {
    const provider = new TokenProvider(settings);
    idp.canned = { status: 503, body: '{"error":"temporarily_unavailable"}' };
    await assert.rejects(provider.getToken(), { status: 503 });
    idp.canned = undefined;
    assert.match(await provider.getToken(), /^tok-/);
  });
});
