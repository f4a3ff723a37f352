import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { convertSubstituted, substituteEnv } from '../../src/config/env-subst.js';
import { ConfigError } from '../../src/errors/errors.js';

const FILE = 'run.yaml';
const sub = (value: unknown, env: Record<string, string | undefined> = {}): unknown =>
  substituteEnv(value, env, FILE);

test('each placeholder form follows the set / unset / empty table', () => {
  const rows: Array<[template: string, env: Record<string, string>, expected: unknown]> = [
    ['${env.X}', { X: 'abc' }, 'abc'],
    ['${env.X:=D}', { X: 'abc' }, 'abc'],
    ['${env.X:=D}', {}, 'D'],
    ['${env.X:=D}', { X: '' }, 'D'],
    ['${env.X:=}', {}, null],
    ['${env.X:=}', { X: '' }, null],
    ['${env.X:+V}', { X: 'abc' }, 'V'],
    ['${env.X:+V}', {}, null],
    ['${env.X:+V}', { X: '' }, null],
    ['${env.X:+}', { X: 'abc' }, null],
    ['${env.X:=a:b/c=d}', {}, 'a:b/c=d'],
    ['${env.X_1:=v}', { X_1: 'w' }, 'w'],
    ['${env.9LIVES}', { '9LIVES': 'cat' }, 'cat'],
  ];
  for (const [template, env, expected] of rows) {
    assert.deepEqual(sub(template, env), expected, `${template} with ${JSON.stringify(env)}`);
  }
});

test('substituted strings are converted as a whole, following Python int/float rules', () => {
  const rows: Array<[text: string, expected: unknown]> = [
    ['', null],
    ['true', true],
    ['TRUE', true],
    ['False', false],
    ['fAlSe', false],
    ['8321', 8321],
    ['-12', -12],
    ['+7', 7],
    [' 42 ', 42],
    ['1_000', 1000],
    ['007', 7],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['-2.5E-1', -0.25],
    ['1_0.2_5', 10.25],
    ['inf', Infinity],
    ['-Infinity', -Infinity],
    ['INF', Infinity],
    ['1__0', '1__0'],
    ['_1', '_1'],
    ['1_', '1_'],
    ['0x10', '0x10'],
    ['1e', '1e'],
    ['null', 'null'],
    ['None', 'None'],
    ['yes', 'yes'],
    [' true', ' true'],
    ['12abc', '12abc'],
    ['http://h:1', 'http://h:1'],
  ];
  for (const [text, expected] of rows) {
    assert.deepEqual(convertSubstituted(text), expected, JSON.stringify(text));
    assert.deepEqual(sub('${env.V}', { V: text || 'unused' }), text === '' ? 'unused' : expected);
  }
  assert.ok(Number.isNaN(convertSubstituted('nan') as number));
  assert.ok(Number.isNaN(convertSubstituted('NaN') as number));
});

test('conversion happens only when a placeholder changed the string', () => {
  assert.equal(sub('8321'), '8321');
  assert.equal(sub('true'), 'true');
  assert.equal(sub(''), '');
  assert.equal(sub(8321), 8321);
  assert.equal(sub(false), false);
  assert.equal(sub(null), null);
  assert.equal(sub('${env.P:=8321}'), 8321);
  assert.equal(sub('${env.ON:=true}'), true);
  assert.equal(sub('${env.A:=1}${env.B:=2}'), 12);
  assert.equal(sub('x${env.A:=1}'), 'x1');
});

test('several placeholders in one string, inside URLs, nested maps and lists', () => {
  const env = { HOST: 'ollama.internal', PORT: '11434', REALM: 'lls-auth' };
  const tree = {
    url: 'http://${env.HOST}:${env.PORT}/api',
    list: ['${env.HOST}', ['${env.PORT}', { deep: 'realms/${env.REALM}/certs' }], 3],
    issuer: '${env.ISSUER:=http://localhost:8080/realms/${env.REALM_X:=x}',
  };
  // The issuer default above contains a nested placeholder: that is rejected.
  assert.throws(() => sub(tree, env), /placeholders cannot be nested/);
  delete (tree as Partial<typeof tree>).issuer;
  assert.deepEqual(sub(tree, env), {
    url: 'http://ollama.internal:11434/api',
    list: ['ollama.internal', [11434, { deep: 'realms/lls-auth/certs' }], 3],
  });
});

test('keys are never substituted', () => {
  assert.deepEqual(sub({ '${env.K}': '${env.V:=v}' }), { '${env.K}': 'v' });
});

test('a leading ~ in a substituted piece expands to the home directory', () => {
  assert.equal(sub('${env.D:=~/models}', { HOME: '/home/u' }), '/home/u/models');
  assert.equal(sub('${env.D}', { D: '~', HOME: '/home/u/' }), '/home/u');
  assert.equal(sub('${env.D:=~/m}'), `${homedir()}/m`);
  assert.equal(sub('${env.D:=~other/m}', { HOME: '/h' }), '~other/m');
  assert.equal(sub('/x${env.D:=a~/b}', { HOME: '/h' }), '/xa~/b');
  // Only substituted pieces expand: literal text keeps its ~.
  assert.equal(sub('~/${env.D:=m}', { HOME: '/h' }), '~/m');
});

test('a missing required variable names the variable, the key path and the fixes', () => {
  const tree = { providers: { inference: [{ config: { url: '${env.OLLAMA_URL}' } }] } };
  for (const env of [{}, { OLLAMA_URL: '' }]) {
    const err = catchError(() => sub(tree, env));
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /run\.yaml/);
    assert.match(err.message, /providers\.inference\[0\]\.config\.url/);
    assert.match(err.message, /OLLAMA_URL is not set/);
    assert.match(err.message, /--env OLLAMA_URL=/);
    assert.match(err.message, /\$\{env\.OLLAMA_URL:=default\}/);
  }
});

test('every problem is listed in one error', () => {
  const err = catchError(() => sub({ a: '${env.A}', b: ['${env.B}'], c: '${env.c}' }));
  assert.match(err.message, /3 problems/);
  assert.match(err.message, /- a: environment variable A/);
  assert.match(err.message, /- b\[0\]: environment variable B/);
  assert.match(err.message, /- c: placeholder '\$\{env\.c\}' uses a lower-case/);
});

test('malformed placeholders are errors naming the text', () => {
  const rows: Array<[text: string, reason: RegExp]> = [
    ['${env.X', /no closing '\}'/],
    ['${env.}', /no variable name/],
    ['${env.x:-y}', /lower-case/],
    ['${env.lower}', /lower-case variable name.*ENV\.LOWER|\$\{env\.LOWER/],
    ['${env.X:-y}', /unsupported syntax ':-'/],
    ['${env.X:?}', /unsupported syntax ':\?'/],
    ['${env.X:}', /unsupported syntax/],
    ['${env.X-y}', /invalid variable name/],
    ['${X}', /not a placeholder/],
    ['${ENV.X}', /not a placeholder/],
    ['http://${HOST}:1', /not a placeholder/],
  ];
  for (const [text, reason] of rows) {
    const err = catchError(() => sub({ server: { host: text } }, { X: 'x', HOST: 'h' }));
    assert.ok(err instanceof ConfigError, text);
    assert.match(err.message, /run\.yaml: server\.host: /, text);
    assert.ok(err.message.includes(text.replace(/^http:\/\//, '').replace(/:1$/, '')), text);
    assert.match(err.message, reason, text);
  }
});

test('text that is not placeholder-like is left alone', () => {
  assert.equal(sub('cost: $5 {x} ${1} $${'), 'cost: $5 {x} ${1} $${');
});

test('a variable whose value is itself a placeholder is rejected, not used', () => {
  const err = catchError(() => sub({ url: '${env.A}' }, { A: '${env.B}' }));
  assert.match(err.message, /url: the value still contains '\$\{env\.'/);
  assert.ok(!err.message.includes('${env.B}'));
});

test('secret defaults are not printed in malformed-placeholder errors', () => {
  const err = catchError(() => sub({ api_key: '${env.k:=hunter2}' }));
  assert.match(err.message, /api_key/);
  assert.ok(!err.message.includes('hunter2'), err.message);
});

test('list entries whose provider_id resolves to disabled or empty are dropped unsubstituted', () => {
  const tree = {
    providers: {
      inference: [
        { provider_id: '${env.ENABLE_A:=__disabled__}', config: { url: '${env.MISSING}' } },
        { provider_id: '${env.ENABLE_B:+b}', config: { url: '${env.MISSING}' } },
        { provider_id: '__disabled__', config: { url: '${env.MISSING}' } },
        { provider_id: '', config: { url: '${env.MISSING}' } },
        { provider_id: null, config: { url: '${env.MISSING}' } },
        { provider_id: '${env.ENABLE_C:=c}', config: { url: '${env.U:=http://c}' } },
      ],
    },
    models: [
      { model_id: 'm1', provider_id: '${env.ENABLE_A:=__disabled__}', x: '${env.MISSING}' },
      { model_id: 'm2', provider_id: null },
      { model_id: 'm3' },
    ],
  };
  assert.deepEqual(sub(tree), {
    providers: { inference: [{ provider_id: 'c', config: { url: 'http://c' } }] },
    models: [{ model_id: 'm2', provider_id: null }, { model_id: 'm3' }],
  });
  // Enabled, the same entry needs its variables.
  assert.throws(() => sub(tree, { ENABLE_B: '1' }), /inference\[1\]\.config\.url: .*MISSING/);
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected an error');
}
