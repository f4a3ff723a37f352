import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryAdapter, MAX_RECORDS } from '../../src/idp/provider/adapter.js';

/** Runs `test` against a fresh store, which is closed afterwards. */
async function withStore(
  test: (factory: ReturnType<typeof createMemoryAdapter>['factory']) => Promise<void>,
): Promise<void> {
  const { factory, close } = createMemoryAdapter();
  try {
    await test(factory);
  } finally {
    close();
  }
}

describe('IdP memory store', () => {
  it('pending logins are bounded: past the cap the oldest is dropped, the newest kept', () =>
    withStore(async (factory) => {
      const interactions = factory('Interaction');
      const sessions = factory('Session');
      await sessions.upsert('s1', { uid: 'u1', accountId: 'alice' }, 3600);
      const cap = MAX_RECORDS.Interaction!;
      // Anyone can create these through the authorization endpoint, each with its parameters.
      const params = { state: 'x'.repeat(8 * 1024) };
      for (let i = 0; i <= cap; i++) await interactions.upsert(`i${i}`, { params }, 1800);

      assert.equal(await interactions.find('i0'), undefined);
      assert.ok(await interactions.find('i1'));
      assert.ok(await interactions.find(`i${cap}`));
      // Another kind of record is not pushed out by the flood.
      assert.equal((await sessions.findByUid('u1'))?.accountId, 'alice');
    }));

  it('a dropped record takes its lookups by uid and by grant with it', () =>
    withStore(async (factory) => {
      const sessions = factory('Session');
      const codes = factory('AuthorizationCode');
      await sessions.upsert('s1', { uid: 'u1', accountId: 'alice' }, 3600);
      await codes.upsert('c1', { grantId: 'g1' }, 60);
      await sessions.destroy('s1');
      assert.equal(await sessions.findByUid('u1'), undefined);
      await codes.revokeByGrantId('g1');
      assert.equal(await codes.find('c1'), undefined);
      // A record stored again under the same id is found again.
      await codes.upsert('c1', { grantId: 'g2' }, 60);
      assert.ok(await codes.find('c1'));
    }));
});
