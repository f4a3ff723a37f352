import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startHarness, TEST_SECRET, type Harness } from './harness.js';

describe('POST /api/invoke forwards to the stack server (legacy endpoint)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  beforeEach(() => {
    h.stack.requests.length = 0;
    h.idp.requests.length = 0;
  });

  it('returns the stack server answer unchanged, with a bearer token and the legacy body', async () => {
    const res = await h.invoke({ prompt: 'Who are you?' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-request-id') ?? '', /./);
    const answer = (await res.json()) as { completion_message: { content: string } };
    assert.equal(answer.completion_message.content, 'echo: Who are you?');

    const seen = h.stack.requests[0];
    assert.equal(seen?.path, '/v1/inference/chat-completion');
    assert.ok(seen?.token && h.idp.isValid(seen.token));
    assert.deepEqual(seen?.body, {
      model_id: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'Who are you?' }],
      stream: false,
    });
  });

  it('uses one token for many invocations, and one for 20 concurrent ones', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await h.invoke({ prompt: `p${i}` })).status, 200);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.invoke({ prompt: `c${i}` })),
    );
    assert.deepEqual(new Set(answers.map((r) => r.status)), new Set([200]));
    assert.equal(h.idp.requests.length, 0, 'the token from the first test is still cached');
    assert.equal(new Set(h.stack.requests.map((r) => r.token)).size, 1);
  });

  it('adds system message, history (with stop_reason for legacy assistants) and model', async () => {
    const res = await h.invoke({
      prompt: 'and now?',
      model: 'other-model',
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(h.stack.requests[0]?.body, {
      model_id: 'other-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello', stop_reason: 'end_of_turn' },
        { role: 'user', content: 'and now?' },
      ],
      stream: false,
    });
  });

  it('a 401 from the stack server triggers exactly one retry with a fresh token', async () => {
    const before = h.stack.requests.length;
    h.stack.reject401 = 1;
    const res = await h.invoke({ prompt: 'retry me' });
    assert.equal(res.status, 200);
    const [first, second] = h.stack.requests.slice(before);
    assert.equal(h.stack.requests.length - before, 2);
    assert.notEqual(first?.token, second?.token, 'the retry used a newly fetched token');
    assert.equal(h.idp.requests.length, 1);
  });

  it('a second 401 becomes 502 with the stack server message', async () => {
    h.stack.reject401 = 2;
    const res = await h.invoke({ prompt: 'still rejected' });
    assert.equal(res.status, 502);
    const body = (await res.json()) as { error: { message: string; code: string } };
    assert.match(
      body.error.message,
      /^stack server answered 401: Invalid JWT token — .*even with a freshly fetched token/,
    );
    assert.equal(h.stack.requests.length, 2, 'no third attempt');
  });

  const passThrough: Array<[number, string, number, RegExp]> = [
    [
      400,
      '{"error":{"detail":{"errors":[{"loc":["body","model_id"],"msg":"Field required"}]}}}',
      400,
      /^stack server answered 400: \{"errors":\[\{"loc"/,
    ],
    [
      404,
      '{"detail":"Model \'x\' not found. Use \'client.models.list()\' to list available Models."}',
      404,
      /^stack server answered 404: Model 'x' not found/,
    ],
    [404, '{"detail":"Not Found"}', 502, /check LLS_CHAT_ENDPOINT/],
    [
      500,
      '{"detail":"Internal server error: An unexpected error occurred."}',
      502,
      /^stack server answered 500: Internal server error/,
    ],
    [
      502,
      '{"detail":"All connection attempts failed"}',
      502,
      /^stack server answered 502: All connection attempts failed$/,
    ],
    [503, 'overloaded', 503, /^stack server answered 503: overloaded$/],
    [
      504,
      '{"detail":"Operation timed out: x"}',
      504,
      /^stack server answered 504: Operation timed out/,
    ],
    [
      403,
      '{"error":{"message":"Access denied"}}',
      502,
      /^stack server answered 403: Access denied$/,
    ],
  ];
  for (const [status, body, expected, message] of passThrough) {
    it(`stack server ${status} ${body.slice(0, 30)}… → ${expected}`, async () => {
      h.stack.failure = { status, body };
      try {
        const res = await h.invoke({ prompt: 'x' });
        assert.equal(res.status, expected);
        const json = (await res.json()) as { error: { message: string } };
        assert.match(json.error.message, message);
      } finally {
        h.stack.failure = undefined;
      }
    });
  }

  it('429 passes through with Retry-After', async () => {
    h.stack.failure = {
      status: 429,
      body: '{"error":{"message":"Quota exceeded"}}',
      headers: { 'retry-after': '7' },
    };
    try {
      const res = await h.invoke({ prompt: 'x' });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '7');
      assert.match(
        ((await res.json()) as { error: { message: string } }).error.message,
        /Quota exceeded/,
      );
    } finally {
      h.stack.failure = undefined;
    }
  });

  it('never logs the client secret or an access token, even at debug level', async () => {
    await (await h.invoke({ prompt: 'log check' })).text();
    const logs = h.logs.raw();
    assert.match(logs, /request completed/);
    assert.ok(!logs.includes(TEST_SECRET));
    for (const r of h.stack.requests) assert.ok(r.token && !logs.includes(r.token));
  });

  it('a stack server that drops the connection mid-answer is a 502 "before its answer was complete", not "not reachable"', async () => {
    h.stack.failure = {
      status: 200,
      body: JSON.stringify({ completion: 'x'.repeat(500) }),
      cutAfterBytes: 40,
    };
    try {
      const res = await h.invoke({ prompt: 'x' });
      assert.equal(res.status, 502);
      const { message } = ((await res.json()) as { error: { message: string } }).error;
      assert.match(message, /^stack server closed the connection before its answer was complete/);
      const streamed = await (await h.invoke({ prompt: 'x', stream: true })).text();
      assert.match(streamed, /closed the connection before its answer was complete/);
      assert.doesNotMatch(streamed, /not reachable/);
    } finally {
      h.stack.failure = undefined;
    }
  });

  it('a token that an upstream echoes back is masked in the message and the log', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    h.stack.failure = { status: 500, body: `<pre>echo: Authorization: Bearer ${token}</pre>` };
    try {
      const res = await h.invoke({ prompt: 'x' });
      assert.equal(res.status, 502);
      const { message } = ((await res.json()) as { error: { message: string } }).error;
      assert.match(message, /Authorization: \[token\]/);
      assert.ok(!message.includes(token));
      // URL-encoded, right after other text, as a query string would carry it.
      h.stack.failure = { status: 400, body: `{"detail":"token=Bearer%20${token}"}` };
      const encoded = await h.invoke({ prompt: 'x' });
      const said = ((await encoded.json()) as { error: { message: string } }).error.message;
      assert.equal(said, 'stack server answered 400: token=[token]');
      assert.ok(!h.logs.raw().includes(token));
    } finally {
      h.stack.failure = undefined;
    }
  });

  it('a 200 that is not JSON becomes 502', async () => {
    h.stack.failure = { status: 200, body: 'plain text' };
    try {
      const res = await h.invoke({ prompt: 'x' });
      assert.equal(res.status, 502);
      assert.match(
        ((await res.json()) as { error: { message: string } }).error.message,
        /not JSON: plain text/,
      );
    } finally {
      h.stack.failure = undefined;
    }
  });
});

describe('POST /api/invoke with the OpenAI-compatible endpoint', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ chatEndpoint: '/v1/chat/completions', model: 'llama3.2:1b' });
  });
  after(() => h.close());

  it('sends {model, messages, stream} and returns the chat.completion unchanged', async () => {
    const res = await h.invoke({
      prompt: 'hi',
      messages: [{ role: 'assistant', content: 'earlier' }],
    });
    assert.equal(res.status, 200);
    const answer = (await res.json()) as {
      object: string;
      choices: Array<{ message: { content: string } }>;
    };
    assert.equal(answer.object, 'chat.completion');
    assert.equal(answer.choices[0]?.message.content, 'echo: hi');
    assert.deepEqual(h.stack.requests[0]?.body, {
      model: 'llama3.2:1b',
      messages: [
        { role: 'assistant', content: 'earlier' },
        { role: 'user', content: 'hi' },
      ],
      stream: false,
    });
  });
});
