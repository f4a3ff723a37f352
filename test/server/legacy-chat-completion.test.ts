import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningStack } from '../../src/stack/index.js';
import { startOllamaStandin } from '../support/ollama-standin.js';
import type { OllamaStandin } from '../support/ollama-standin.js';
import { ollamaRunYaml, postJson, sseData, startTestStack } from '../support/stack.js';
import { PNG_BASE64, assertError, lastBody } from './http.js';

const WEATHER_TOOL = {
  tool_name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    city: { param_type: 'string', description: 'City name', required: true },
    days: { param_type: 'int', required: false, default: 1 },
  },
};
const TIME_TOOL = { tool_name: 'get_time', description: 'Local time', parameters: {} };

describe('POST /v1/inference/chat-completion', () => {
  let ollama: OllamaStandin;
  let stack: RunningStack;
  let url: string;

  before(async () => {
    ollama = await startOllamaStandin();
    stack = await startTestStack(ollamaRunYaml(ollama.url));
    url = `${stack.url}/v1/inference/chat-completion`;
  });
  after(async () => {
    await stack.close();
    await ollama.close();
  });

  const chat = (extra: Record<string, unknown>) =>
    postJson(url, {
      model_id: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
      ...extra,
    });

  it('sends system, user (with RAG context), assistant and tool turns to Ollama unchanged', async () => {
    const res = await chat({
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Lyon?', context: 'Lyon is in France.' },
        {
          role: 'assistant',
          content: '',
          stop_reason: 'end_of_message',
          tool_calls: [{ call_id: 'c1', tool_name: 'get_weather', arguments: { city: 'Lyon' } }],
        },
        { role: 'tool', call_id: 'c1', content: [{ type: 'text', text: 'sunny' }] },
        { role: 'user', content: 'Thanks' },
      ],
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(lastBody(ollama.requests, '/api/chat').messages, [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Weather in Lyon?\n\nLyon is in France.' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ id: 'c1', function: { name: 'get_weather', arguments: { city: 'Lyon' } } }],
      },
      { role: 'tool', content: 'sunny', tool_name: 'get_weather', tool_call_id: 'c1' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('passes inline images (data: URI or raw base64) as raw base64 to Ollama', async () => {
    const res = await chat({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this? ' },
            { type: 'image', image: { data: PNG_BASE64 } },
            { type: 'image', image: { url: { uri: `data:image/png;base64,${PNG_BASE64}` } } },
            'Be brief.',
          ],
        },
      ],
    });
    assert.equal(res.status, 200, res.text);
    const [message] = lastBody(ollama.requests, '/api/chat').messages;
    assert.equal(message.content, 'What is this? Be brief.');
    assert.deepEqual(message.images, [PNG_BASE64, PNG_BASE64]);
  });

  const samplings: [string, unknown, Record<string, unknown> | undefined][] = [
    ['default (greedy)', undefined, { temperature: 0 }],
    ['greedy', { strategy: { type: 'greedy' } }, { temperature: 0 }],
    [
      'top_p',
      { strategy: { type: 'top_p', temperature: 0.7, top_p: 0.9 } },
      { temperature: 0.7, top_p: 0.9 },
    ],
    ['top_k (no temperature)', { strategy: { type: 'top_k', top_k: 5 } }, { top_k: 5 }],
    [
      'max_tokens, repetition_penalty and stop',
      { max_tokens: 64, repetition_penalty: 1.2, stop: ['\n\n', 'END'] },
      { temperature: 0, num_predict: 64, repeat_penalty: 1.2, stop: ['\n\n', 'END'] },
    ],
    [
      'max_tokens 0 and repetition_penalty 1 (the upstream defaults: no option)',
      { max_tokens: 0, repetition_penalty: 1 },
      { temperature: 0 },
    ],
  ];
  for (const [name, sampling, options] of samplings) {
    it(`maps sampling_params ${name} to Ollama options`, async () => {
      const res = await chat(sampling === undefined ? {} : { sampling_params: sampling });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(lastBody(ollama.requests, '/api/chat').options, options);
    });
  }

  it('reports out_of_tokens when max_tokens cuts the answer', async () => {
    ollama.script({ reply: 'one two three four five' });
    const res = await chat({ sampling_params: { max_tokens: 2 } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.completion_message.content, 'one two');
    assert.equal(res.json.completion_message.stop_reason, 'out_of_tokens');
  });

  it('sends tools as Ollama function tools with a JSON schema built from param_type', async () => {
    const res = await chat({ tools: [WEATHER_TOOL, TIME_TOOL] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(lastBody(ollama.requests, '/api/chat').tools, [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: {
            type: 'object',
            properties: {
              city: { type: 'string', description: 'City name' },
              days: { type: 'integer', default: 1 },
            },
            required: ['city'],
          },
        },
      },
      {
        type: 'function',
        function: {
          name: 'get_time',
          description: 'Local time',
          parameters: { type: 'object', properties: {}, required: [] },
        },
      },
    ]);
  });

  it('honours tool_choice: a named tool sends only that tool, none sends no tools', async () => {
    let res = await chat({
      tools: [WEATHER_TOOL, TIME_TOOL],
      tool_config: { tool_choice: 'get_time' },
    });
    assert.equal(res.status, 200, res.text);
    const named = lastBody(ollama.requests, '/api/chat').tools;
    assert.deepEqual(
      named.map((t: any) => t.function.name),
      ['get_time'],
    );

    res = await chat({ tools: [WEATHER_TOOL], tool_choice: 'none' });
    assert.equal(res.status, 200, res.text);
    assert.equal(lastBody(ollama.requests, '/api/chat').tools, undefined);

    res = await chat({ tools: [WEATHER_TOOL], tool_choice: 'auto' });
    assert.equal(lastBody(ollama.requests, '/api/chat').tools.length, 1);
  });

  it('rejects a tool_choice naming no given tool, and a tool_choice/tool_config mismatch', async () => {
    let res = await chat({ tools: [WEATHER_TOOL], tool_choice: 'get_time' });
    let message = assertError(res, 400, 'invalid_request');
    assert.match(message, /get_time/);
    assert.match(message, /get_weather/);

    res = await chat({
      tools: [WEATHER_TOOL],
      tool_choice: 'required',
      tool_config: { tool_choice: 'auto' },
    });
    message = assertError(res, 400, 'invalid_request');
    assert.match(message, /tool_choice and tool_config\.tool_choice must match/);
  });

  it('returns Ollama tool calls as call_id/tool_name/arguments/arguments_json', async () => {
    ollama.script({
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Lyon', days: 2 } },
        { name: 'get_time', arguments: {}, id: 'call_fromollama' },
      ],
    });
    const res = await chat({ tools: [WEATHER_TOOL, TIME_TOOL] });
    assert.equal(res.status, 200, res.text);
    const message = res.json.completion_message;
    assert.equal(message.content, '');
    assert.equal(message.stop_reason, 'end_of_message');
    assert.equal(message.tool_calls.length, 2);
    const [first, second] = message.tool_calls;
    assert.equal(typeof first.call_id, 'string');
    assert.ok(first.call_id.length > 0);
    assert.notEqual(first.call_id, second.call_id);
    assert.deepEqual(
      { ...first, call_id: 'x' },
      {
        call_id: 'x',
        tool_name: 'get_weather',
        arguments: { city: 'Lyon', days: 2 },
        arguments_json: '{"city":"Lyon","days":2}',
      },
    );
    assert.deepEqual(second, {
      call_id: 'call_fromollama',
      tool_name: 'get_time',
      arguments: {},
      arguments_json: '{}',
    });
  });

  it('maps response_format json_schema to Ollama format', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
    };
    const res = await chat({ response_format: { type: 'json_schema', json_schema: schema } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(lastBody(ollama.requests, '/api/chat').format, schema);
  });

  it('answers 501 for a grammar response_format without calling Ollama', async () => {
    const before = ollama.requests.length;
    const res = await chat({ response_format: { type: 'grammar', bnf: { root: '"a"' } } });
    const message = assertError(res, 501, 'not_implemented');
    assert.match(message, /[Gg]rammar/);
    assert.equal(ollama.requests.length, before);
  });

  it('streams text as progress deltas ending with complete and metrics', async () => {
    ollama.script({ reply: 'Un deux trois', tokenDelayMs: 2 });
    const res = await chat({ stream: true });
    assert.equal(res.status, 200);
    const events = sseData(res.text).map((d) => JSON.parse(d).event);
    assert.deepEqual(
      events.map((e) => e.event_type),
      ['start', 'progress', 'progress', 'progress', 'complete'],
    );
    assert.deepEqual(
      events.slice(1, 4).map((e) => e.delta),
      [
        { type: 'text', text: 'Un' },
        { type: 'text', text: ' deux' },
        { type: 'text', text: ' trois' },
      ],
    );
    assert.equal(lastBody(ollama.requests, '/api/chat').stream, true);
  });

  it('streams tool calls as tool_call deltas with parse_status succeeded', async () => {
    ollama.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Lyon' } }] });
    const res = await chat({ stream: true, tools: [WEATHER_TOOL] });
    assert.equal(res.status, 200);
    const chunks = sseData(res.text).map((d) => JSON.parse(d));
    const toolDeltas = chunks.filter((c) => c.event.delta.type === 'tool_call');
    assert.equal(toolDeltas.length, 1);
    const { delta, event_type } = toolDeltas[0].event;
    assert.equal(event_type, 'progress');
    assert.equal(delta.parse_status, 'succeeded');
    assert.equal(delta.tool_call.tool_name, 'get_weather');
    assert.deepEqual(delta.tool_call.arguments, { city: 'Lyon' });
    assert.equal(delta.tool_call.arguments_json, '{"city":"Lyon"}');
    assert.ok(delta.tool_call.call_id);
    const last = chunks.at(-1).event;
    assert.equal(last.event_type, 'complete');
    assert.equal(last.stop_reason, 'end_of_message');
  });

  it('streams out_of_tokens as the complete stop_reason when max_tokens cuts the answer', async () => {
    ollama.script({ reply: 'one two three four', tokenDelayMs: 1 });
    const res = await chat({ stream: true, sampling_params: { max_tokens: 1 } });
    const last = JSON.parse(sseData(res.text).at(-1)!);
    assert.equal(last.event.event_type, 'complete');
    assert.equal(last.event.stop_reason, 'out_of_tokens');
  });
});
