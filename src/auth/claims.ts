import { DEFAULT_CLAIMS_MAPPING } from './config.js';

export type Claims = Record<string, unknown>;

/**
 * Looks a claim up as a dotted path into nested objects (`resource_access.lls-client.roles`),
 * falling back to a literal top-level key containing dots. Own properties only.
 */
export function readClaim(claims: Claims, path: string): unknown {
  let current: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) {
      current = undefined;
      break;
    }
    current = Object.hasOwn(current, part) ? (current as Claims)[part] : undefined;
    if (current === undefined) break;
  }
  if (current !== undefined) return current;
  return Object.hasOwn(claims, path) ? claims[path] : undefined;
}

/**
 * Llama Stack's claims → attributes rule: lists as-is (string members), strings split on
 * whitespace, anything else skipped. Several claims may feed one attribute; values are
 * deduplicated. A configured mapping replaces the default one entirely.
 */
export function attributesFromClaims(
  claims: Claims,
  mapping: Record<string, string> = DEFAULT_CLAIMS_MAPPING,
): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  for (const [claim, attribute] of Object.entries(mapping)) {
    const value = readClaim(claims, claim);
    let values: string[];
    if (Array.isArray(value)) values = value.filter((v): v is string => typeof v === 'string');
    else if (typeof value === 'string') values = value.split(/\s+/).filter((v) => v !== '');
    else continue;

    const list = (attributes[attribute] ??= []);
    for (const v of values) if (!list.includes(v)) list.push(v);
  }
  return attributes;
}

/**
 * The principal name: `sub`, else `azp`, else `client_id`. Keycloak service accounts always carry
 * `sub`; some issuers' client-credentials tokens (e.g. oauth2-mock-server) only name the client.
 */
export function principalIdFromClaims(claims: Claims): string | undefined {
  for (const name of ['sub', 'azp', 'client_id']) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}
