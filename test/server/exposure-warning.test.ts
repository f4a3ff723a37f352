import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposureWarning } from '../../src/stack/index.js';

test('no auth on every interface is warned about, with both fixes; auth or loopback is not', () => {
  for (const host of ['0.0.0.0', '::', '::0', '[::]', '0:0:0:0:0:0:0:0', '0']) {
    const warning = exposureWarning(host, false);
    assert.match(warning ?? '', /authentication is off .* anyone who can reach this port/);
    assert.match(warning ?? '', /Add server\.auth, or pass --host 127\.0\.0\.1/);
    assert.equal(exposureWarning(host, true), undefined);
  }
  assert.equal(exposureWarning('127.0.0.1', false), undefined);
  assert.equal(exposureWarning('::1', false), undefined);
});
