import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessRuleSchema } from '../../src/auth/config.js';
import type { AccessRule } from '../../src/auth/config.js';
import { createAccessPolicy } from '../../src/auth/index.js';
import type { Action, Principal, ProtectedResource } from '../../src/auth/types.js';
import { ConfigError } from '../../src/errors/errors.js';

const user = (id: string, attributes: Record<string, string[]> = {}): Principal => ({
  id,
  attributes,
});
const model = (id: string, owner?: Principal): ProtectedResource => ({
  type: 'model',
  id,
  ...(owner ? { owner } : {}),
});
const rules = (list: unknown[]): AccessRule[] => list.map((r) => accessRuleSchema.parse(r));

const alice = user('alice', { roles: ['admin'], teams: ['ml'] });
const bob = user('bob', { roles: ['user'], teams: ['ops'], projects: ['p1'] });
const carol = user('carol', { teams: ['ml'] });

describe('default access policy (empty access_policy)', () => {
  const policy = createAccessPolicy([]);
  const table: [string, Principal | undefined, ProtectedResource, boolean][] = [
    ['auth disabled', undefined, model('m', bob), true],
    ['unowned resource', bob, model('m'), true],
    ['owner', alice, model('m', alice), true],
    ['shares a team with the owner', carol, model('m', alice), true],
    ['shares nothing with the owner', bob, model('m', alice), false],
    ['owner has no attributes', bob, model('m', user('dave')), false],
    ['user has no attributes', user('eve'), model('m', alice), false],
  ];
  for (const [label, who, resource, expected] of table) {
    it(`${expected ? 'permits' : 'denies'}: ${label}`, () => {
      assert.equal(policy.isAllowed(who, 'read', resource), expected);
    });
  }
});

describe('configured access policy', () => {
  const policy = createAccessPolicy(
    rules([
      { forbid: { actions: ['delete'], resource: 'model::protected' }, description: 'never' },
      { permit: { principal: 'alice', actions: ['create', 'read', 'update', 'delete'] } },
      {
        permit: { actions: ['read'], resource: 'model::llama3.2:3b' },
        when: 'user with user in roles',
      },
      { forbid: { actions: 'read', resource: 'model::*' }, unless: ['user in owners teams'] },
      { permit: { actions: ['read'], resource: 'model::*' }, when: ['user is owner'] },
      { permit: { actions: ['read'], resource: 'model::*' }, when: 'resource is unowned' },
      { permit: { actions: ['update'] }, when: 'user with ml not in teams' },
      { permit: { actions: ['create'] }, when: 'user not in owners projects' },
    ]),
  );
  const table: [string, Principal, Action, ProtectedResource, boolean][] = [
    ['first rule wins over a later permit', alice, 'delete', model('protected'), false],
    ['principal rule', alice, 'delete', model('other'), true],
    ['exact resource + attribute condition', bob, 'read', model('llama3.2:3b', carol), true],
    ['exact resource, condition false', carol, 'read', model('llama3.2:3b'), true],
    ['unless: forbids when teams not shared', bob, 'read', model('x', carol), false],
    [
      'unless: passes through when teams shared, then owner rule misses, then unowned misses',
      carol,
      'read',
      model('x', alice),
      false,
    ],
    ['owner of the resource', bob, 'read', model('y', bob), true],
    ['unowned resource', carol, 'read', model('z'), true],
    ['not in list', carol, 'update', model('z'), false],
    ['not in list (true)', bob, 'update', model('z'), true],
    [
      'user not in owners projects (owner lacks projects → in owners → negated)',
      bob,
      'create',
      model('n', carol),
      false,
    ],
    [
      'user not in owners projects (owner has other project)',
      bob,
      'create',
      model('n', user('o', { projects: ['p9'] })),
      true,
    ],
    ['nothing applies → deny', carol, 'delete', model('z'), false],
  ];
  for (const [label, who, action, resource, expected] of table) {
    it(`${expected ? 'permits' : 'denies'}: ${label}`, () => {
      assert.equal(policy.isAllowed(who, action, resource), expected);
    });
  }

  it('still allows everything when authentication is disabled', () => {
    assert.equal(policy.isAllowed(undefined, 'delete', model('protected')), true);
  });

  it('matches model::* for every model but not other resource types', () => {
    const p = createAccessPolicy(rules([{ permit: { actions: ['read'], resource: 'model::*' } }]));
    assert.equal(p.isAllowed(bob, 'read', model('anything/at:all')), true);
    const other = createAccessPolicy(
      rules([{ permit: { actions: ['read'], resource: 'vector_db::*' } }]),
    );
    assert.equal(other.isAllowed(bob, 'read', model('m')), false);
    const exact = createAccessPolicy(
      rules([{ permit: { actions: ['read'], resource: 'model::m' } }]),
    );
    assert.equal(exact.isAllowed(bob, 'read', model('m2')), false);
  });
});

describe('access policy validation at start-up', () => {
  for (const [label, rule, pattern] of [
    [
      'nonsense condition',
      { permit: { actions: ['read'] }, when: 'user is admin' },
      /access_policy\[1\]: Invalid condition: 'user is admin'/,
    ],
    [
      'truncated condition',
      { permit: { actions: ['read'] }, unless: ['user with admin'] },
      /access_policy\[1\]: Invalid condition/,
    ],
    [
      'unknown action',
      { permit: { actions: ['execute'] } },
      /access_policy\[1\]: unknown action 'execute'/,
    ],
    [
      'missing actions',
      { forbid: { resource: 'model::*' } },
      /access_policy\[1\]: forbid\.actions is required/,
    ],
  ] as const) {
    it(`rejects a ${label}, naming the rule index`, () => {
      const list = rules([{ permit: { actions: ['read'] } }, rule]);
      assert.throws(
        () => createAccessPolicy(list),
        (err: unknown) => err instanceof ConfigError && pattern.test(err.message),
      );
    });
  }
});
