import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ollamaStackForSuite, postJson, sseData } from '../support/stack.js';
import { assertError, lastBody } from './http.js';

const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    },
  },
};
const TIME = { type: 'function', function: { name: 'get_time' } };

describe('OpenAI tool calling through /v1/chat/completions', () => {
  const env = ollamaStackForSuite();

  const chat = (extra: Record<string, unknown>) =>
    postJson(`${env.stack.url}/v1/chat/completions`, {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'Weather in Lyon?' }],
      ...extra,
    });

  it('sends tools to Ollama in its native shape', async () => {
    const res = await chat({ tools: [WEATHER, TIME] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(lastBody(env.ollama.requests, '/api/chat').tools, [
      WEATHER,
      {
        type: 'function',
        function: { name: 'get_time', parameters: { type: 'object', properties: {} } },
      },
    ]);
  });

  it('applies tool_choice: a named function sends only it, none sends no tools', async () => {
    await chat({
      tools: [WEATHER, TIME],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    const named = lastBody(env.ollama.requests, '/api/chat').tools;
    assert.deepEqual(
      named.map((t: any) => t.function.name),
      ['get_time'],
    );

    await chat({ tools: [WEATHER], tool_choice: 'none' });
    assert.equal(lastBody(env.ollama.requests, '/api/chat').tools, undefined);

    const res = await chat({
      tools: [WEATHER],
      tool_choice: { type: 'function', function: { name: 'nope' } },
    });
    assert.match(assertError(res, 400, 'invalid_request'), /nope/);
  });

  it('returns Ollama object arguments as an OpenAI JSON string with call ids and finish_reason tool_calls', async () => {
    env.ollama.script({
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Lyon', units: { temp: 'C' } } },
        { name: 'get_time', arguments: {}, id: 'call_upstream1' },
      ],
    });
    const res = await chat({ tools: [WEATHER, TIME] });
    assert.equal(res.status, 200, res.text);
    const [choice] = res.json.choices;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const calls = choice.message.tool_calls;
    assert.equal(calls.length, 2);
    assert.match(calls[0].id, /^call_[a-z0-9]+$/);
    assert.deepEqual(
      { ...calls[0], id: 'x' },
      {
        id: 'x',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Lyon","units":{"temp":"C"}}' },
      },
    );
    assert.equal(typeof calls[0].function.arguments, 'string');
    assert.deepEqual(calls[1], {
      id: 'call_upstream1',
      type: 'function',
      function: { name: 'get_time', arguments: '{}' },
    });
  });

  it('streams tool calls as indexed tool_calls deltas and finishes with tool_calls then [DONE]', async () => {
    env.ollama.script({
      reply: 'Checking.',
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Lyon' } },
        { name: 'get_time', arguments: {} },
      ],
      tokenDelayMs: 1,
    });
    const res = await chat({ tools: [WEATHER, TIME], stream: true });
    assert.equal(res.status, 200);
    const data = sseData(res.text);
    assert.equal(data.at(-1), '[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const text = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
    assert.equal(text, 'Checking.');
    const deltas = chunks.flatMap((c) => c.choices[0].delta.tool_calls ?? []);
    assert.equal(deltas.length, 2);
    assert.deepEqual(
      deltas.map((d: any) => [d.index, d.type, d.function.name, d.function.arguments]),
      [
        [0, 'function', 'get_weather', '{"city":"Lyon"}'],
        [1, 'function', 'get_time', '{}'],
      ],
    );
    assert.ok(deltas.every((d: any) => /^call_/.test(d.id)));
    assert.notEqual(deltas[0].id, deltas[1].id);
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'tool_calls');
    assert.ok(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null));
  });

  it('translates assistant tool_calls and tool results in history to Ollama shape exactly', async () => {
    const res = await chat({
      tools: [WEATHER],
      messages: [
        { role: 'user', content: 'Weather in Lyon?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Lyon"}' },
            },
            { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"sky":"clear"}' },
        { role: 'tool', tool_call_id: 'call_2', name: 'get_time', content: '12:00' },
      ],
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(lastBody(env.ollama.requests, '/api/chat').messages, [
      { role: 'user', content: 'Weather in Lyon?' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          { id: 'call_1', function: { name: 'get_weather', arguments: { city: 'Lyon' } } },
          { id: 'call_2', function: { name: 'get_time', arguments: {} } },
        ],
      },
      {
        role: 'tool',
        content: '{"sky":"clear"}',
        tool_name: 'get_weather',
        tool_call_id: 'call_1',
      },
      { role: 'tool', content: '12:00', tool_name: 'get_time', tool_call_id: 'call_2' },
    ]);
  });

  it('round-trips a call id the gateway generated back into the next request', async () => {
    env.ollama.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Lyon' } }] });
    const first = await chat({ tools: [WEATHER] });
    const call = first.json.choices[0].message.tool_calls[0];
    const second = await chat({
      tools: [WEATHER],
      messages: [
        { role: 'user', content: 'Weather in Lyon?' },
        first.json.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny' },
      ],
    });
    assert.equal(second.status, 200, second.text);
    const sent = lastBody(env.ollama.requests, '/api/chat').messages;
    assert.deepEqual(sent[1].tool_calls, [
      { id: call.id, function: { name: 'get_weather', arguments: { city: 'Lyon' } } },
    ]);
    assert.equal(sent[2].tool_name, 'get_weather');
    assert.equal(sent[2].tool_call_id, call.id);
  });

  it('refuses history tool arguments that are not a JSON object, naming the field', async () => {
    for (const args of ['{not json', '[1,2]']) {
      const res = await chat({
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }],
          },
        ],
      });
      const message = assertError(res, 400, 'invalid_request');
      assert.match(message, /messages\[1\]\.tool_calls\[0\]\.function\.arguments/);
      assert.match(res.json.error.param, /messages\[1\]\.tool_calls\[0\]\.function\.arguments/);
    }
  });
});
