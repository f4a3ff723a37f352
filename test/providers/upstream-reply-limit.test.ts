import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { UpstreamError } from '../../src/errors/errors.js';
import { readErrorText, readText } from '../../src/providers/shared/http.js';
import type { UpstreamBody } from '../../src/providers/shared/http.js';

const label = { name: 'Ollama', url: 'http://127.0.0.1:11434' } as never;
const timeouts = { firstByteMs: 5000, idleMs: 5000, connectMs: 5000 };
const body = (...parts: string[]) =>
  Readable.from(parts.map((p) => Buffer.from(p))) as unknown as UpstreamBody;

describe('whole upstream replies', () => {
  it('a reply over the limit fails instead of being held whatever its size', async () => {
    const reply = body('x'.repeat(600), 'y'.repeat(600));
    await assert.rejects(
      readText(reply, timeouts, label, undefined, 1024),
      (err) => err instanceof UpstreamError && /larger than 1024 bytes/.test(err.message),
    );
  });

  it('a reply within the limit is read whole', async () => {
    assert.equal(await readText(body('{"a":', '1}'), timeouts, label, undefined, 1024), '{"a":1}');
  });

  it('an error body is cut to its start rather than refused', async () => {
    const text = await readErrorText(
      body('model not found: ', 'z'.repeat(200 * 1024)),
      timeouts,
      label,
    );
    assert.ok(text.startsWith('model not found: '));
    assert.ok(text.length <= 64 * 1024);
  });
});
