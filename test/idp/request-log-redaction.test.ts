import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';
import { ALICE, CLIENT_ID, CLIENT_SECRET, basic, postForm, startTestIdp } from './support.js';
import type { TestIdp } from './support.js';

describe('the IdP logs one line per request and never a credential', () => {
  const lines: string[] = [];
  let t: TestIdp;
  before(async () => {
    const log = createLogger({
      level: 'info',
      destination: { write: (s: string) => lines.push(s) },
    });
    t = await startTestIdp({ log });
  });
  after(() => t.stop());

  it('records method, path, status and duration, without secrets, passwords or tokens', async () => {
    lines.length = 0;
    const cc = await postForm(
      t.idp.tokenUrl,
      { grant_type: 'client_credentials' },
      basic(CLIENT_ID, CLIENT_SECRET),
    );
    const pw = await postForm(t.idp.tokenUrl, {
      grant_type: 'password',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      username: ALICE.username,
      password: ALICE.password,
    });
    await postForm(t.idp.tokenUrl, {
      grant_type: 'password',
      client_id: CLIENT_ID,
      client_secret: 'guess',
    });
    await fetch(`${t.realmUrl}/protocol/openid-connect/userinfo`, {
      headers: { authorization: `Bearer ${pw.body.access_token}` },
    });

    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    assert.equal(requests.length, 4);
    assert.deepEqual(
      requests.map((r) => [r.method, r.path, r.status]),
      [
        ['POST', '/realms/lls-auth/protocol/openid-connect/token', 200],
        ['POST', '/realms/lls-auth/protocol/openid-connect/token', 200],
        ['POST', '/realms/lls-auth/protocol/openid-connect/token', 401],
        ['GET', '/realms/lls-auth/protocol/openid-connect/userinfo', 200],
      ],
    );
    for (const r of requests) assert.equal(typeof r.ms, 'number');

    const all = lines.join('\n');
    for (const secret of [
      CLIENT_SECRET,
      ALICE.password,
      'guess',
      cc.body.access_token,
      pw.body.refresh_token,
    ]) {
      assert.ok(!all.includes(secret), `log leaked ${secret.slice(0, 12)}…`);
    }
    assert.ok(!all.includes(pw.body.access_token.split('.')[2]));
  });

  it('a client that hangs up mid-body is logged at info, not as a server error', async () => {
    const { port } = new URL(t.idp.url);
    // Our own endpoint, and one that oidc-provider answers.
    for (const path of ['/token', '/logout/confirm']) {
      lines.length = 0;
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST /realms/lls-auth/protocol/openid-connect${path} HTTP/1.1\r\nHost: x\r\n` +
              'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n' +
              'grant_type=client_cre',
          );
          setTimeout(() => socket.destroy(), 50);
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const logged = lines.map((l) => JSON.parse(l));
      assert.deepEqual(
        logged.filter((l) => l.level >= 50),
        [],
        path,
      );
      const gone = logged.filter((l) => l.msg === 'client went away before its request was read');
      assert.equal(gone.length, 1, path);
      assert.equal(gone[0].level, 30);
      assert.equal(gone[0].err, undefined);
    }
  });

  it('logs login-session paths without their interaction id', async () => {
    lines.length = 0;
    await fetch(`${t.realmUrl}/login-actions/abc123secretuid`);
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    assert.equal(requests.length, 1);
    assert.equal(requests[0].path, '/realms/lls-auth/login-actions/:uid');
    assert.ok(!lines.join('\n').includes('abc123secretuid'));
  });
});
