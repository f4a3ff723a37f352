import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { rawRequest } from '../support/raw-http.js';
import { ollamaRunYaml, startTestStack } from '../support/stack.js';
import { assertError, send } from './http.js';

const USER = [{ role: 'user', content: 'hi' }];

describe('bad input gets a clear 4xx in the error envelope', () => {
  let ollama: OllamaStandin;
  let stack: RunningStack;
  let calls: number;

  before(async () => {
    ollama = await startOllamaStandin();
    // A small body limit, so the 413 test does not have to send megabytes.
    stack = await startTestStack(`${ollamaRunYaml(ollama.url)}server:\n  max_body_bytes: 65536\n`);
  });
  after(async () => {
    await stack.close();
    await ollama.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => {
    calls = ollama.requests.length;
    return send('POST', `${stack.url}${path}`, body, headers);
  };
  /** Bad input must be refused before anything is sent upstream. */
  const assertNothingSent = () => assert.equal(ollama.requests.length, calls);

  for (const path of ['/v1/chat/completions', '/v1/inference/chat-completion', '/v1/embeddings']) {
    it(`${path}: a body that is not JSON → 400 saying to send JSON`, async () => {
      for (const contentType of ['application/json', 'text/plain']) {
        const res = await post(path, '{"model": ', { 'content-type': contentType });
        assert.match(assertError(res, 400, 'invalid_request'), /not valid JSON/);
      }
      assertNothingSent();
    });

    it(`${path}: a JSON body that is not an object → 400`, async () => {
      for (const body of ['[1,2]', '"text"', '42', 'null']) {
        const res = await post(path, body);
        assert.match(assertError(res, 400, 'invalid_request'), /JSON object/, body);
      }
    });

    it(`${path}: an empty body → 400`, async () => {
      const res = await post(path, '', { 'content-type': 'application/json' });
      assert.match(assertError(res, 400, 'invalid_request'), /JSON object/);
    });
  }

  const invalid: [string, string, unknown, RegExp, string | null][] = [
    ['OpenAI: missing model', '/v1/chat/completions', { messages: USER }, /model/, 'model'],
    [
      'OpenAI: missing messages',
      '/v1/chat/completions',
      { model: 'llama3.2:3b' },
      /messages/,
      'messages',
    ],
    [
      'OpenAI: empty messages',
      '/v1/chat/completions',
      { model: 'llama3.2:3b', messages: [] },
      /messages/,
      'messages',
    ],
    [
      'OpenAI: wrong role',
      '/v1/chat/completions',
      { model: 'llama3.2:3b', messages: [{ role: 'wizard', content: 'x' }] },
      /messages\[0\]\.role/,
      'messages[0].role',
    ],
    [
      'OpenAI: tool_choice without tools',
      '/v1/chat/completions',
      { model: 'llama3.2:3b', messages: USER, tool_choice: 'auto' },
      /'tool_choice' is only allowed when 'tools' is also provided/,
      'tool_choice',
    ],
    [
      'OpenAI: n > 1',
      '/v1/chat/completions',
      { model: 'llama3.2:3b', messages: USER, n: 2 },
      /n=1/,
      'n',
    ],
    [
      'OpenAI: temperature out of range',
      '/v1/chat/completions',
      { model: 'llama3.2:3b', messages: USER, temperature: 3 },
      /temperature/,
      'temperature',
    ],
    [
      'OpenAI: image by http URL',
      '/v1/chat/completions',
      {
        model: 'llama3.2:3b',
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'http://127.0.0.1:1/cat.png' } }],
          },
        ],
      },
      /image URLs are not fetched/,
      'messages[0].content[0].image_url',
    ],
    [
      'legacy: missing model_id',
      '/v1/inference/chat-completion',
      { messages: USER },
      /model_id/,
      'model_id',
    ],
    [
      'legacy: wrong role',
      '/v1/inference/chat-completion',
      { model_id: 'llama3.2:3b', messages: [{ role: 'bot', content: 'x' }] },
      /messages\[0\]\.role/,
      'messages[0].role',
    ],
    [
      'legacy: tool message without call_id',
      '/v1/inference/chat-completion',
      { model_id: 'llama3.2:3b', messages: [{ role: 'tool', content: 'x' }] },
      /call_id/,
      'messages[0].call_id',
    ],
    [
      'legacy: image by http URL',
      '/v1/inference/chat-completion',
      {
        model_id: 'llama3.2:3b',
        messages: [
          {
            role: 'user',
            content: [{ type: 'image', image: { url: { uri: 'https://example.invalid/a.png' } } }],
          },
        ],
      },
      /image URLs are not fetched/,
      'messages[0].content[0].image',
    ],
    [
      'legacy: unknown sampling strategy',
      '/v1/inference/chat-completion',
      { model_id: 'llama3.2:3b', messages: USER, sampling_params: { strategy: { type: 'beam' } } },
      /sampling_params\.strategy/,
      'sampling_params.strategy.type',
    ],
    [
      'OpenAI embeddings: bad encoding_format',
      '/v1/embeddings',
      { model: 'all-minilm:l6-v2', input: 'x', encoding_format: 'int8' },
      /encoding_format/,
      'encoding_format',
    ],
    [
      'legacy embeddings: no contents',
      '/v1/inference/embeddings',
      { model_id: 'all-minilm:l6-v2', contents: [] },
      /contents/,
      'contents',
    ],
  ];
  for (const [name, path, body, message, param] of invalid) {
    it(`${name} → 400 naming the field`, async () => {
      const res = await post(path, body);
      assert.match(assertError(res, 400, 'invalid_request'), message);
      assert.equal(res.json.error.param, param);
      assertNothingSent();
    });
  }

  it('an unknown model → 404 naming it, on every route family', async () => {
    for (const [path, body] of [
      ['/v1/chat/completions', { model: 'gpt-9', messages: USER }],
      ['/v1/completions', { model: 'gpt-9', prompt: 'x' }],
      ['/v1/embeddings', { model: 'gpt-9', input: 'x' }],
      ['/v1/inference/chat-completion', { model_id: 'gpt-9', messages: USER }],
      ['/v1/inference/chat-completion', { model_id: 'gpt-9', messages: USER, stream: true }],
      ['/v1/inference/embeddings', { model_id: 'gpt-9', contents: ['x'] }],
    ] as const) {
      const res = await post(path, body);
      assert.match(assertError(res, 404, 'model_not_found'), /'gpt-9'/, path);
      assertNothingSent();
    }
  });

  it('an embedding model on a chat route and a chat model on an embeddings route → 400', async () => {
    for (const [path, body, wanted] of [
      ['/v1/chat/completions', { model: 'all-minilm:l6-v2', messages: USER }, /language model/],
      [
        '/v1/inference/chat-completion',
        { model_id: 'all-minilm:l6-v2', messages: USER },
        /language model/,
      ],
      ['/v1/completions', { model: 'all-minilm:l6-v2', prompt: 'x' }, /language model/],
      ['/v1/embeddings', { model: 'llama3.2:3b', input: 'x' }, /embedding model/],
      ['/v1/inference/embeddings', { model_id: 'llama3.2:3b', contents: ['x'] }, /embedding model/],
    ] as const) {
      const res = await post(path, body);
      assert.match(assertError(res, 400, 'invalid_request'), wanted, path);
      assert.equal(res.json.error.param, 'model');
      assertNothingSent();
    }
  });

  it('an image that is not valid base64 → 400 before Ollama sees it', async () => {
    const openaiImage = (url: string) => ({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }],
    });
    const legacyImage = (image: unknown) => ({
      model_id: 'llama3.2:3b',
      messages: [{ role: 'user', content: [{ type: 'image', image }] }],
    });
    for (const [path, body] of [
      ['/v1/chat/completions', openaiImage('hello')],
      ['/v1/chat/completions', openaiImage('images/cat')],
      ['/v1/chat/completions', openaiImage('data:image/png;base64,')],
      ['/v1/chat/completions', openaiImage('data:image/png;base64,iVBORw0KGgo@@')],
      ['/v1/chat/completions', openaiImage('data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA=A')],
      ['/v1/inference/chat-completion', legacyImage({ data: 'abc' })],
      ['/v1/inference/chat-completion', legacyImage({ url: { uri: 'data:image/jpeg;base64,ab' } })],
    ] as const) {
      const res = await post(path, body);
      assert.match(assertError(res, 400, 'invalid_request'), /base64/, JSON.stringify(body));
      assert.match(res.json.error.param, /^messages\[0\]\.content\[0\]\.image/);
      assertNothingSent();
    }
  });

  it('a JSON body with a prototype-poisoning key is refused, and told so rather than "not JSON"', async () => {
    const res = await post('/v1/chat/completions', '{"model":"x","__proto__":{"admin":true}}');
    assert.equal(
      assertError(res, 400, 'invalid_request'),
      'request body has a "__proto__" or "constructor.prototype" key, which is refused; send a JSON object',
    );
    assertNothingSent();
  });

  it('a request the HTTP parser or the router cannot read still gets the error envelope and a request id', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['GET /v1/models/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n', 400, /not valid percent-encoding/],
      ['GARBAGE\r\n\r\n', 400, /not well-formed HTTP\/1\.1/],
      [
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n' +
          'Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
        /not well-formed HTTP\/1\.1/,
      ],
      [
        `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        431,
        /too large/,
      ],
    ];
    for (const [text, status, message] of cases) {
      const reply = await rawRequest(stack.url, text);
      const [head, body] = reply.split('\r\n\r\n');
      assert.match(head ?? '', new RegExp(`^HTTP/1\\.1 ${status} `), reply.slice(0, 80));
      assert.match(head ?? '', /\r\nx-request-id: \S+/i);
      const envelope = JSON.parse(body ?? '') as { error: { message: string; code: string } };
      assert.match(envelope.error.message, message);
      assert.equal(envelope.error.code, 'invalid_request');
    }
  });

  it('an oversized body → 413 naming the limit and its setting', async () => {
    const big = 'x'.repeat(70_000);
    const res = await post('/v1/chat/completions', {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: big }],
    });
    assert.match(
      assertError(res, 413, 'payload_too_large'),
      /larger than the limit of 65536 bytes \(server\.max_body_bytes\)/,
    );
    assertNothingSent();
  });

  it('an unknown route → 404 in the error envelope', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nope'],
      ['POST', '/v1/inference/chat'],
      ['GET', '/'],
      ['POST', '/v1/agents'],
    ] as const) {
      const res = await send(method, `${stack.url}${path}`, method === 'POST' ? {} : undefined);
      assert.match(assertError(res, 404, 'not_found'), new RegExp(`${method} ${path}`));
    }
  });

  it('a known path with the wrong method → 404/405 in the error envelope', async () => {
    const res = await send('GET', `${stack.url}/v1/chat/completions`);
    assert.ok(res.status === 404 || res.status === 405, res.text);
    assertError(res, res.status);
  });

  it('never answers with a stack trace or framework internals', async () => {
    const probes = [
      await post(
        '/v1/chat/completions',
        '{"model":"llama3.2:3b","messages":[{"role":"user","content":{}}]}',
      ),
      await post('/v1/inference/chat-completion', { model_id: 5, messages: 'x' }),
      await post('/v1/chat/completions', '\u0000\u0001'),
      await post('/v1/models', { model_id: {} }),
      await send('DELETE', `${stack.url}/v1/models`),
    ];
    for (const res of probes) {
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
      assertError(res, res.status);
      assert.doesNotMatch(res.text, /FST_|fastify|zod|ZodError/i);
    }
  });
});
