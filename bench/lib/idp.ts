/**
 * The embedded IdP for the auth arms, in the orchestrator's process (idle while load runs), and a
 * pool of client-credentials access tokens: one per virtual user, re-minted before they expire.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startIdp } from '../../src/idp/index.js';
import type { RunningIdp } from '../../src/idp/index.js';
import { silentLogger } from '../../src/logging/logger.js';
import { ROOT_DIR } from './build.js';

const CLIENT_ID = 'lls-client';
/** Tokens live 300 s; re-mint well before a measurement could outlast them. */
const REFRESH_AFTER_MS = 150_000;

function clientSecret(): string {
  const realm = JSON.parse(
    readFileSync(join(ROOT_DIR, 'configs/keycloak/lls-auth-realm.json'), 'utf8'),
  ) as { clients: { clientId: string; secret?: string }[] };
  const secret = realm.clients.find((c) => c.clientId === CLIENT_ID)?.secret;
  if (!secret) throw new Error(`no secret for ${CLIENT_ID} in the realm file`);
  return secret;
}

export interface TokenPool {
  idp: RunningIdp;
  /** Current tokens (re-minted first if they are getting old). */
  tokens(): Promise<string[]>;
  close(): Promise<void>;
}

/** Starts the IdP on 127.0.0.1:0 and mints `count` tokens. */
export async function startTokenPool(dataDir: string, count: number): Promise<TokenPool> {
  const idp = await startIdp({ host: '127.0.0.1', port: 0, dataDir, log: silentLogger() });
  const secret = clientSecret();
  const mint = async (): Promise<string> => {
    const res = await fetch(idp.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CLIENT_ID,
        client_secret: secret,
      }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (!res.ok || !body.access_token) throw new Error(`token endpoint answered ${res.status}`);
    return body.access_token;
  };
  let tokens: string[] = [];
  let mintedAt = 0;
  const refresh = async () => {
    const fresh: string[] = [];
    for (let i = 0; i < count; i++) fresh.push(await mint());
    tokens = fresh;
    mintedAt = Date.now();
  };
  await refresh();
  return {
    idp,
    async tokens() {
      if (Date.now() - mintedAt > REFRESH_AFTER_MS) await refresh();
      return tokens;
    },
    close: () => idp.close(),
  };
}
