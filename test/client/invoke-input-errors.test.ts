import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertTrickleCutOff, rawRequest } from '../support/raw-http.js';
import { startHarness, type Harness } from './harness.js';

interface Envelope {
  error: { message: string; type: string; code: string; param: string | null };
}

describe('POST /api/invoke rejects bad input with 400 and a message saying what to send', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const cases: Array<[string, string, RegExp]> = [
    ['missing prompt', '{}', /^prompt is required: send \{"prompt": "\.\.\."\}$/],
    ['empty prompt', '{"prompt": ""}', /^prompt is required/],
    ['blank prompt', '{"prompt": "   "}', /^prompt is required/],
    ['null prompt', '{"prompt": null}', /^prompt is required/],
    ['number prompt', '{"prompt": 42}', /^prompt must be a string, got a number: send \{"prompt"/],
    ['empty body', '', /^request body is empty: send \{"prompt"/],
    [
      'not JSON',
      'prompt=hello',
      /^request body is not valid JSON: send \{"prompt": "\.\.\."\} as JSON$/,
    ],
    [
      'JSON with a __proto__ key',
      '{"__proto__": {"prompt": "x"}, "prompt": "hi"}',
      /^request body has a "__proto__" or "constructor.prototype" key, which is refused: send/,
    ],
    ['array body', '["hello"]', /^request body must be a JSON object, got an array/],
    ['string body', '"hello"', /^request body must be a JSON object, got a string/],
    ['messages not an array', '{"prompt":"x","messages":"hi"}', /^messages must be an array of/],
    ['message not an object', '{"prompt":"x","messages":[1]}', /^messages\[0\] must be an object/],
    [
      'bad role',
      '{"prompt":"x","messages":[{"role":"bot","content":"x"}]}',
      /^messages\[0\]\.role must be one of system, user, assistant, got "bot"$/,
    ],
    [
      'content not a string',
      '{"prompt":"x","messages":[{"role":"user","content":"a"},{"role":"user"}]}',
      /^messages\[1\]\.content must be a string, got nothing$/,
    ],
    [
      'stream not boolean',
      '{"prompt":"x","stream":"yes"}',
      /^stream must be true or false, got a string$/,
    ],
    ['model not a string', '{"prompt":"x","model":7}', /^model must be a non-empty string/],
    ['system empty', '{"prompt":"x","system":""}', /^system must be a non-empty string/],
  ];
  for (const [name, body, message] of cases) {
    it(name, async () => {
      const res = await h.invoke(body);
      assert.equal(res.status, 400);
      const json = (await res.json()) as Envelope;
      assert.match(json.error.message, message);
      assert.equal(json.error.type, 'invalid_request_error');
      assert.equal(h.stack.requests.length, 0, 'nothing was forwarded');
    });
  }

  it('accepts a JSON body sent without a JSON content type (curl -d)', async () => {
    const res = await h.invoke('{"prompt":"hi"}', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 200);
  });

  it('wrong method and unknown path get 405 and 404 in the same envelope', async () => {
    const get = await fetch(`${h.client.url}/api/invoke`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.match(((await get.json()) as Envelope).error.message, /use POST \/api\/invoke/);

    const missing = await fetch(`${h.client.url}/nope`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as Envelope).error.message, /no route for GET \/nope/);
  });

  it('an oversized body is 413, not a crash', async () => {
    const res = await h.invoke({ prompt: 'x'.repeat(5 * 1024 * 1024) });
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as Envelope).error.message, /request body is larger than/);
  });
});

describe('requests the HTTP parser or the router cannot read', () => {
  it('get the error envelope and a request id, like every other error', async () => {
    const h = await startHarness();
    try {
      for (const text of [
        'POST /api/%E0%A4%A HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
        'POST /api/invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      ]) {
        const reply = await rawRequest(h.client.url, text);
        const [head, body] = reply.split('\r\n\r\n');
        assert.match(head ?? '', /^HTTP\/1\.1 400 /, reply.slice(0, 80));
        assert.match(head ?? '', /\r\nx-request-id: \S+/i);
        assert.equal((JSON.parse(body ?? '') as Envelope).error.code, 'invalid_request');
      }
      assert.equal(h.stack.requests.length, 0);
    } finally {
      await h.close();
    }
  });
});

describe('POST /api/invoke from a client that trickles its request', () => {
  it('is answered 408 and cut off after CLIENT_REQUEST_TIMEOUT_SECONDS', async () => {
    const h = await startHarness({ requestTimeoutMs: 400 });
    try {
      await assertTrickleCutOff(h.client.url, '/api/invoke');
      assert.equal(h.stack.requests.length, 0);
    } finally {
      await h.close();
    }
  });
});
