import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The realm export shipped with llamagate. Both `src/client` and `dist/client` sit two levels
 * below the package root, so the same relative URL works from source and from the build.
 */
export const SHIPPED_REALM_FILE = fileURLToPath(
  new URL('../../configs/keycloak/lls-auth-realm.json', import.meta.url),
);

interface RealmClient {
  clientId?: unknown;
  secret?: unknown;
}

/**
 * The development secret of `clientId` in a Keycloak realm export, or undefined when the file,
 * the client or its secret is missing. Only a fallback for local use: an explicit
 * KEYCLOAK_CLIENT_SECRET always wins.
 */
export function readRealmClientSecret(
  clientId: string,
  realmFile: string = SHIPPED_REALM_FILE,
): string | undefined {
  let realm: unknown;
  try {
    realm = JSON.parse(readFileSync(realmFile, 'utf8'));
  } catch {
    return undefined;
  }
  const clients = (realm as { clients?: unknown } | null)?.clients;
  if (!Array.isArray(clients)) return undefined;

  const client = (clients as RealmClient[]).find((c) => c?.clientId === clientId);
  return typeof client?.secret === 'string' && client.secret !== '' ? client.secret : undefined;
}
