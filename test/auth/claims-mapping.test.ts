import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributesFromClaims, principalIdFromClaims, readClaim } from '../../src/auth/claims.js';
import { keycloakClaims } from '../support/tokens.js';

describe('claims to attributes', () => {
  it('uses the Llama Stack default mapping', () => {
    const attrs = attributesFromClaims({
      sub: 'u1',
      username: 'alice',
      groups: ['g1', 'g2'],
      team: 'blue green',
      project: 'p',
      tenant: 't',
      namespace: ['ns'],
    });
    assert.deepEqual(attrs, {
      roles: ['u1', 'alice'],
      teams: ['g1', 'g2', 'blue', 'green'],
      projects: ['p'],
      namespaces: ['t', 'ns'],
    });
  });

  it('follows dotted paths into Keycloak role claims', () => {
    const attrs = attributesFromClaims(keycloakClaims(), {
      'realm_access.roles': 'roles',
      'resource_access.lls-client.roles': 'roles',
      scope: 'scopes',
    });
    assert.deepEqual(attrs, {
      roles: ['default-roles-lls-auth', 'offline_access', 'lls-user', 'inference'],
      scopes: ['profile', 'email'],
    });
  });

  it('replaces the default mapping instead of merging with it', () => {
    const attrs = attributesFromClaims({ sub: 'u1', groups: ['g'] }, { groups: 'teams' });
    assert.deepEqual(attrs, { teams: ['g'] });
  });

  it('falls back to a literal dotted key and skips non-string values', () => {
    const claims = {
      'https://example.test/roles': ['x'],
      'a.b': 'lit',
      n: 5,
      o: { k: 1 },
      l: [1, 'y'],
    };
    assert.deepEqual(readClaim(claims, 'a.b'), 'lit');
    const attrs = attributesFromClaims(claims, { 'a.b': 'r', n: 'r', o: 'r', l: 'r' });
    assert.deepEqual(attrs, { r: ['lit', 'y'] });
  });

  it('does not walk into inherited properties', () => {
    assert.equal(readClaim({}, 'constructor.name'), undefined);
    assert.equal(readClaim({ a: {} }, 'a.__proto__'), undefined);
  });

  it('chooses sub, then azp, then client_id as the principal', () => {
    assert.equal(principalIdFromClaims({ sub: 's', azp: 'a', client_id: 'c' }), 's');
    assert.equal(principalIdFromClaims({ sub: '', azp: 'a', client_id: 'c' }), 'a');
    assert.equal(principalIdFromClaims({ client_id: 'c' }), 'c');
    assert.equal(principalIdFromClaims({ sub: 5 }), undefined);
  });
});
