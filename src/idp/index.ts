import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { unwatchFile, watchFile } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors/errors.js';
import { createLogger } from '../logging/logger.js';
import type { Logger } from '../logging/logger.js';
import { KEYS_FILE, addSigningKey, loadOrCreateKeys, readKeys } from './keys.js';
import type { KeyMaterial } from './keys.js';
import { createMemoryAdapter } from './provider/adapter.js';
import { ROUTES } from './provider/config.js';
import { buildProvider, mountRelative, withBody } from './provider/glue.js';
import type { MountedProvider } from './provider/glue.js';
import { loadRealmFile } from './realm/load.js';
import { createRequestHandler } from './server.js';
import { TokenSigner } from './signer.js';
import type { IdpState } from './state.js';

export interface IdpOptions {
  host?: string;
  port?: number;
  realmFile?: string;
  dataDir?: string;
  /**
   * Scheme, host and port of the issuer, e.g. `http://localhost:8080`; `/realms/<realm>` is
   * appended.
   */
  issuerBaseUrl?: string;
  log?: Logger;
}

export interface RunningIdp {
  /** Where the server can be reached, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  issuer: string;
  realm: string;
  jwksUri: string;
  tokenUrl: string;
  close(): Promise<void>;
  /** Adds a signing key that signs from now on; returns its kid. */
  rotateKeys(): Promise<string>;
}

/**
 * configs/keycloak/lls-auth-realm.json of this package (works from src/ via tsx and from
 * dist/).
 */
export const DEFAULT_REALM_FILE = fileURLToPath(
  new URL('../../configs/keycloak/lls-auth-realm.json', import.meta.url),
);
export const DEFAULT_DATA_DIR = '.llamagate/idp';
export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
/** How often the key file is polled for rotations made by another process. */
const KEY_POLL_MS = 500;

function listen(
  server: ReturnType<typeof createServer>,
  host: string,
  port: number,
): Promise<AddressInfo> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const hint =
        err.code === 'EADDRINUSE'
          ? 'is already in use; pass another --port'
          : `cannot be opened (${err.code ?? err.message})`;
      reject(new ConfigError(`IdP address ${host}:${port} ${hint}`, { cause: err }));
    });
    server.listen(port, host, () => resolveListen(server.address() as AddressInfo));
  });
}

function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the embedded Keycloak-compatible IdP: loads the realm file, loads (or creates) the
 * signing keys in `dataDir`, and serves the realm at `/realms/<realm>`. Keys rotated by another
 * process (`llamagate idp rotate-keys`) are picked up within a second.
 */
export async function startIdp(options: IdpOptions = {}): Promise<RunningIdp> {
  const log = options.log ?? createLogger({ name: 'idp' });
  const realmFile = options.realmFile ?? DEFAULT_REALM_FILE;
  const realm = await loadRealmFile(realmFile);
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const initial = await loadOrCreateKeys(dataDir);
  warnAboutUnusableUsers(realm, log);

  let state: IdpState | undefined;
  const server = createServer(createRequestHandler(() => state, log));
  const host = options.host ?? DEFAULT_HOST;
  const address = await listen(server, host, options.port ?? DEFAULT_PORT);
  const url = `http://${reachableHost(host)}:${address.port}`;
  const issuerBase = (options.issuerBaseUrl ?? `http://localhost:${address.port}`).replace(
    /\/+$/,
    '',
  );
  const issuer = `${issuerBase}/realms/${realm.name}`;

  const signer = await TokenSigner.create(issuer, initial);
  const adapter = createMemoryAdapter();
  let mounted: MountedProvider;
  const draft: IdpState = {
    realm,
    issuer,
    signer,
    log,
    provider: () => mounted.provider,
    forward: (req: IncomingMessage, res: ServerResponse, form?: URLSearchParams) =>
      mounted.handle(mountRelative(form ? withBody(req, form) : req, `/realms/${realm.name}`), res),
  };
  mounted = await buildProvider(draft, initial, adapter.factory);
  state = draft;

  // Reloads are chained so a watcher event and an in-process rotation never interleave.
  let reloading = Promise.resolve();
  const reload = (): Promise<void> => {
    reloading = reloading.then(async () => {
      const material = await readKeys(dataDir);
      if (!material || sameKeys(material, signer.material)) return;
      await signer.setKeys(material);
      mounted = await buildProvider(draft, material, adapter.factory);
      log.info(
        { kid: signer.activeKid, published: material.signing.length },
        'IdP signing keys reloaded',
      );
    });
    return reloading;
  };
  const keyFile = join(dataDir, KEYS_FILE);
  watchFile(keyFile, { interval: KEY_POLL_MS, persistent: false }, () => {
    reload().catch((err: unknown) =>
      log.error({ err }, 'IdP key reload failed; keeping the current keys'),
    );
  });

  log.info({ url, issuer, realm: realm.name, kid: signer.activeKid }, 'IdP listening');
  return {
    url,
    issuer,
    realm: realm.name,
    jwksUri: `${url}/realms/${realm.name}${ROUTES.jwks}`,
    tokenUrl: `${url}/realms/${realm.name}${ROUTES.token}`,
    async close() {
      unwatchFile(keyFile);
      adapter.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
    async rotateKeys() {
      const kid = await addSigningKey(dataDir);
      await reload();
      return kid;
    },
  };
}

/** Adds a new signing key to the key file in `dataDir`; a running IdP starts using it. */
export async function rotateKeys(dataDir: string): Promise<string> {
  const dir = resolve(dataDir);
  // Creating a store here would "rotate" keys no IdP uses and report success.
  if (!(await readKeys(dir))) {
    throw new ConfigError(
      `no IdP key store in ${dir} (${KEYS_FILE}); pass the --data-dir the IdP runs with ` +
        '(it creates its store when it first starts)',
    );
  }
  return addSigningKey(dir);
}

function sameKeys(a: KeyMaterial, b: KeyMaterial): boolean {
  const kids = (m: KeyMaterial) =>
    [...m.signing.map((k) => k.kid), m.encryption.kid, m.hmac.kid].join();
  return kids(a) === kids(b);
}

function warnAboutUnusableUsers(
  realm: Awaited<ReturnType<typeof loadRealmFile>>,
  log: Logger,
): void {
  for (const user of realm.users.values()) {
    if (user.serviceAccountClientId === undefined && user.password === undefined) {
      // TODO(idp): verify Keycloak's hashed credentials (pbkdf2/argon2 `secretData`) so full
      // exports work.
      log.warn(
        { user: user.username },
        'user has no plain-text password credential; it cannot log in',
      );
    }
  }
}
