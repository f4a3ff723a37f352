import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger, logDestination } from '../../src/logging/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'llamagate-log-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const linesIn = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test('a lone log line reaches its file within a fraction of a second, batch full or not', async () => {
  const file = join(dir, 'lone.log');
  const log = createLogger({ name: 'stack', destination: logDestination(file) });
  await new Promise((r) => setTimeout(r, 50));
  log.info({ status: 200 }, 'request');
  const deadline = Date.now() + 1000;
  let lines: Record<string, unknown>[] = [];
  while (Date.now() < deadline) {
    lines = linesIn(file);
    if (lines.length > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.status, 200);
});

test('lines still buffered when the process exits are written, none lost or cut', () => {
  const file = join(dir, 'exit.log');
  const script = `
    import { createLogger, logDestination } from ${JSON.stringify(new URL('../../src/logging/logger.ts', import.meta.url).href)};
    const log = createLogger({ name: 'stack', destination: logDestination(${JSON.stringify(file)}) });
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 5000; i++) log.info({ i }, 'request');
    process.exit(0);
  `;
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(run.status, 0, run.stderr);
  const lines = linesIn(file);
  assert.equal(lines.length, 5000);
  assert.deepEqual(
    lines.map((l) => l.i),
    Array.from({ length: 5000 }, (_, i) => i),
  );
});

test('every line carries the time it was written, in ISO 8601, also when many share a millisecond', async () => {
  const file = join(dir, 'time.log');
  const log = createLogger({ name: 'stack', destination: logDestination(file) });
  const before = Date.now();
  for (let i = 0; i < 200; i++) log.info({ i }, 'request');
  await new Promise((r) => setTimeout(r, 30));
  log.info({ i: 200 }, 'request');
  const after = Date.now();
  const deadline = Date.now() + 1000;
  let lines: Record<string, unknown>[] = [];
  while (Date.now() < deadline && lines.length < 201) {
    await new Promise((r) => setTimeout(r, 20));
    lines = linesIn(file);
  }
  assert.equal(lines.length, 201);
  const times = lines.map((l) => {
    assert.match(String(l.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    return Date.parse(String(l.time));
  });
  assert.ok(times.every((t, i) => t >= before && t <= after && (i === 0 || t >= times[i - 1]!)));
  assert.ok(times[200]! - times[0]! >= 30, 'the last line kept the time of an earlier one');
});
