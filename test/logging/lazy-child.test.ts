import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { lazyChildLogger } from '../../src/logging/lazy-child.js';
import { createLogger } from '../../src/logging/logger.js';
import type { Logger } from '../../src/logging/logger.js';

function capture(level = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const parent = createLogger({ level, name: 'stack', destination });
  let children = 0;
  const child = parent.child;
  parent.child = function counted(this: Logger, ...args: Parameters<Logger['child']>) {
    children++;
    return child.apply(this, args);
  } as Logger['child'];
  return { parent, lines, children: () => children };
}

const settle = () => new Promise((r) => setImmediate(r));

test('a request logger writes its lines with the request bindings and the base fields', async () => {
  const { parent, lines, children } = capture();
  const log = lazyChildLogger(parent, { reqId: 'r-1' });
  log.info({ status: 200 }, 'request');
  log.error({ code: 'x' }, 'request failed');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(children(), 0, 'lines of fields are written by the parent');
  assert.equal(lines.length, 2);
  assert.deepEqual(
    lines.map((l) => [l.reqId, l.service, l.msg, l.level]),
    [
      ['r-1', 'stack', 'request', 30],
      ['r-1', 'stack', 'request failed', 50],
    ],
  );
});

test('a request logger that writes nothing builds no pino child', async () => {
  const { parent, lines, children } = capture('info');
  const log = lazyChildLogger(parent, { reqId: 'r-2' });
  log.debug({ detail: 'below the level' }, 'dropped');
  log.trace('dropped too');
  await settle();
  assert.equal(children(), 0);
  assert.equal(lines.length, 0);
  assert.equal(log.level, 'info');
  assert.equal(log.isLevelEnabled('debug'), false);
  log.warn('kept');
  assert.equal(children(), 1);
});

test('a child of a request logger keeps the request bindings', async () => {
  const { parent, lines } = capture('debug');
  const log = lazyChildLogger(parent, { reqId: 'r-3' }).child({ provider: 'ollama' });
  log.debug('queued');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(lines[0]?.reqId, 'r-3', JSON.stringify(lines));
  assert.equal(lines[0]?.provider, 'ollama');
});

test('a request logger with its own level is built at once with that level', () => {
  const { parent, children } = capture('info');
  const log = lazyChildLogger(parent, { reqId: 'r-4' }, { level: 'debug' });
  assert.equal(children(), 1);
  assert.equal(log.isLevelEnabled('debug'), true);
});
