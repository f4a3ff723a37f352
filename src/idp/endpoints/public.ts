import { createPublicKey } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { publicJwks } from '../keys.js';
import { sendJson } from '../oauth-error.js';
import type { IdpState } from '../state.js';

/** `GET /protocol/openid-connect/certs`: every published key, the `enc` key first. */
export function handleCerts(state: IdpState, res: ServerResponse): void {
  // Verifiers cache the set themselves; `no-cache` makes proxies revalidate so a rotation shows.
  sendJson(res, 200, publicJwks(state.signer.material), { 'cache-control': 'no-cache' });
}

/** `GET /realms/<realm>`: the realm's public info, which older Keycloak adapters read. */
export function handleRealmInfo(state: IdpState, res: ServerResponse): void {
  const active = state.signer.material.signing[0]!;
  const der = createPublicKey({ key: active.jwk as never, format: 'jwk' }).export({
    type: 'spki',
    format: 'der',
  });
  sendJson(res, 200, {
    realm: state.realm.name,
    public_key: der.toString('base64'),
    'token-service': `${state.issuer}/protocol/openid-connect`,
    'account-service': `${state.issuer}/account`,
    'tokens-not-before': 0,
  });
}
