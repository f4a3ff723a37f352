import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { ALICE, CLIENT_ID, CLIENT_SECRET, decode, postForm, startTestIdp } from './support.js';
import type { TestIdp } from './support.js';

const REDIRECT = 'http://localhost:8000/callback';

/** Just enough of a browser: follows nothing by itself, remembers cookies by name. */
class Browser {
  readonly cookies = new Map<string, string>();

  async go(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
    return res;
  }
}

function location(res: Response, base: string): string {
  const value = res.headers.get('location');
  assert.ok(value, `expected a redirect, got ${res.status}`);
  return new URL(value, base).href;
}

describe('authorization code + PKCE, served by oidc-provider at Keycloak paths', () => {
  let t: TestIdp;
  let config: oidc.Configuration;
  before(async () => {
    t = await startTestIdp();
    config = await oidc.discovery(new URL(t.idp.issuer), CLIENT_ID, CLIENT_SECRET, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
  });
  after(() => t.stop());

  async function startLogin(browser: Browser, verifier: string, state: string): Promise<string> {
    const authUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    assert.equal(authUrl.pathname, '/realms/lls-auth/protocol/openid-connect/auth');
    const toLogin = await browser.go(authUrl.href);
    assert.equal(toLogin.status, 303);
    const loginUrl = location(toLogin, authUrl.href);
    assert.match(new URL(loginUrl).pathname, /^\/realms\/lls-auth\/login-actions\/[\w-]+$/);
    return loginUrl;
  }

  async function submit(browser: Browser, loginUrl: string, username: string, password: string) {
    return browser.go(loginUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }).toString(),
    });
  }

  /** Follows the provider's redirects until one leaves for the client's redirect URI. */
  async function followToCallback(browser: Browser, res: Response, from: string): Promise<URL> {
    let url = location(res, from);
    for (let hop = 0; hop < 5 && !url.startsWith(REDIRECT); hop++) {
      const next = await browser.go(url);
      url = location(next, url);
    }
    assert.ok(url.startsWith(REDIRECT), `never reached the callback: ${url}`);
    return new URL(url);
  }

  it('logs alice in and exchanges the code for Keycloak-shaped tokens', async () => {
    const browser = new Browser();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const loginUrl = await startLogin(browser, verifier, state);

    const page = await browser.go(loginUrl);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<form method="post"/);

    const wrong = await submit(browser, loginUrl, ALICE.username, 'nope');
    assert.equal(wrong.status, 200);
    assert.match(await wrong.text(), /Invalid username or password\./);

    const done = await submit(browser, loginUrl, ALICE.username, ALICE.password);
    assert.equal(done.status, 303);
    const callback = await followToCallback(browser, done, loginUrl);
    assert.equal(callback.searchParams.get('state'), state);
    assert.equal(callback.searchParams.get('iss'), t.idp.issuer);

    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    assert.equal(tokens.scope, 'openid profile email');
    assert.equal(tokens.expires_in, 300);
    assert.equal(typeof tokens.refresh_token, 'string');
    assert.equal(tokens['not-before-policy'], 0);

    const jwks = createRemoteJWKSet(new URL(t.idp.jwksUri));
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: t.idp.issuer,
      audience: 'lls-client',
      algorithms: ['RS256'],
    });
    assert.equal(protectedHeader.typ, 'JWT');
    assert.equal(payload.typ, 'Bearer');
    assert.equal(payload.preferred_username, 'alice');
    assert.equal(payload.azp, CLIENT_ID);
    assert.equal(typeof payload.sid, 'string');
    assert.equal(payload.client_id, undefined, 'user tokens carry no client_id');

    const claims = tokens.claims()!;
    assert.equal(claims.sub, payload.sub);
    assert.equal(claims.aud, CLIENT_ID);
    assert.equal(decode(tokens.id_token!).payload.typ, 'ID');

    const info = await oidc.fetchUserInfo(config, tokens.access_token, String(payload.sub));
    assert.equal(info.email, 'alice@example.test');

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    assert.equal(decode(refreshed.access_token).payload.sub, payload.sub);

    // A second authorization reuses the browser session: no login page, straight to a code.
    const second = await browser.go(
      oidc
        .buildAuthorizationUrl(config, {
          redirect_uri: REDIRECT,
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        })
        .toString(),
    );
    assert.ok((await followToCallback(browser, second, t.realmUrl)).searchParams.get('code'));

    // RP-initiated logout at Keycloak's path ends the session.
    const endUrl = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: 'http://localhost:8000/logged-out',
    });
    assert.equal(endUrl.pathname, '/realms/lls-auth/protocol/openid-connect/logout');
    const confirm = await browser.go(endUrl.href);
    assert.equal(confirm.status, 200);
    const html = await confirm.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    assert.ok(action && xsrf, html);
    const out = await browser.go(new URL(action, endUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    });
    assert.equal(location(out, endUrl.href), 'http://localhost:8000/logged-out');
    const afterLogout = await startLogin(browser, verifier, oidc.randomState());
    assert.match(afterLogout, /login-actions/);
  });

  it('refuses a wrong PKCE verifier, a wrong client secret and a second use of the code', async () => {
    const browser = new Browser();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const loginUrl = await startLogin(browser, verifier, state);
    const done = await submit(browser, loginUrl, ALICE.username, ALICE.password);
    const callback = await followToCallback(browser, done, loginUrl);
    const exchange = (verifierUsed: string, secret: string) =>
      postForm(t.idp.tokenUrl, {
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: verifierUsed,
        client_id: CLIENT_ID,
        client_secret: secret,
      });

    const badVerifier = await exchange(oidc.randomPKCECodeVerifier(), CLIENT_SECRET);
    assert.equal(badVerifier.status, 400);
    assert.equal(badVerifier.body.error, 'invalid_grant');

    const badSecret = await exchange(verifier, 'wrong');
    assert.equal(
      badSecret.status,
      401,
      'the code exchange authenticates the client the Keycloak way',
    );
    assert.equal(badSecret.body.error, 'unauthorized_client');

    const good = await exchange(verifier, CLIENT_SECRET);
    assert.equal(good.status, 200);
    assert.equal(decode(good.body.access_token).payload.preferred_username, 'alice');

    const again = await exchange(verifier, CLIENT_SECRET);
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
  });

  it('requires PKCE for lls-client (its pkce.code.challenge.method attribute)', async () => {
    const authUrl = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid' });
    const res = await fetch(authUrl, { redirect: 'manual' });
    const target = new URL(location(res, authUrl.href));
    assert.equal(target.origin + target.pathname, REDIRECT);
    assert.equal(target.searchParams.get('error'), 'invalid_request');
    assert.match(target.searchParams.get('error_description') ?? '', /PKCE/);
  });

  it('rejects a redirect URI the client did not register', async () => {
    const authUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'http://evil.example.test/cb',
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const res = await fetch(authUrl, { redirect: 'manual' });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /redirect_uri/);
  });
});
