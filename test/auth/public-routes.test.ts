import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPublicRouteMatcher, normalisePath } from '../../src/auth/public-routes.js';
import { DEFAULT_PUBLIC_ROUTES } from '../../src/auth/config.js';

const isPublic = createPublicRouteMatcher(DEFAULT_PUBLIC_ROUTES);
const get = (url: string, method = 'GET') => isPublic({ method, url, headers: {}, ip: '1.2.3.4' });

describe('public route matching', () => {
  it('normalises paths the way the router sees them', () => {
    assert.equal(normalisePath('/v1/health'), '/v1/health');
    assert.equal(normalisePath('/v1/health/'), '/v1/health');
    assert.equal(normalisePath('//v1//health'), '/v1/health');
    assert.equal(normalisePath('/v1/health?verbose=1'), '/v1/health');
    assert.equal(normalisePath('/v1/%68ealth'), '/v1/health');
    assert.equal(normalisePath('/'), '/');
  });

  for (const url of [
    '/v1/health',
    '/v1/health/',
    '//v1//health',
    '/v1/version?x=1',
    '/v1/%68ealth',
    '/v1/version/?a=/v1/models',
  ]) {
    it(`treats ${url} as public`, () => assert.equal(get(url), true));
  }

  for (const url of [
    '/v1/models',
    '/v1/Health',
    '/V1/health',
    '/v1/health//x',
    '/v1/health%2f',
    '/v1%2fhealth',
    '/v1/%2568ealth',
    '/v1/health%00',
    '/v1/health;jsessionid=1',
    '/v1/health/../models',
    '/v1/health/./',
    '/v1\\health',
    '/v1/health#frag',
    '/v1/%zz',
    'http://example.test/v1/health',
    '*',
    '/v1/openai/v1/health',
    '/v1/models?next=/v1/health',
  ]) {
    it(`treats ${url} as NOT public`, () => assert.equal(get(url), false));
  }

  it('counts HEAD as GET and nothing else', () => {
    assert.equal(get('/v1/health', 'HEAD'), true);
    assert.equal(get('/v1/health', 'head'), true);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      assert.equal(get('/v1/health', method), false, method);
    }
  });

  it('uses the configured list instead of the defaults', () => {
    const custom = createPublicRouteMatcher(['/v1/models/', '/v1/openai/v1/models']);
    const req = (url: string) => ({ method: 'GET', url, headers: {}, ip: '' });
    assert.equal(custom(req('/v1/models')), true);
    assert.equal(custom(req('/v1/openai/v1/models')), true);
    assert.equal(custom(req('/v1/health')), false);
  });
});
