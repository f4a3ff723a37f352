import { rmSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DEFAULT_REALM_FILE, startIdp } from '../../src/idp/index.js';
import { KEYS_FILE, loadOrCreateKeys } from '../../src/idp/keys.js';
import type { IdpOptions, RunningIdp } from '../../src/idp/index.js';
import { silentLogger } from '../../src/logging/logger.js';

export const CLIENT_ID = 'lls-client';
export const CLIENT_SECRET = 'lls-client-dev-secret';
export const ALICE = { username: 'alice', password: 'alice-dev-password' };

export interface TestIdp {
  idp: RunningIdp;
  dataDir: string;
  /** Realm base URL as reached over the socket (`http://127.0.0.1:PORT/realms/lls-auth`). */
  realmUrl: string;
  stop(): Promise<void>;
}

/** A temporary data directory, removed by `cleanup`. */
export async function tempDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'llamagate-idp-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

let template: Promise<string> | undefined;

/**
 * RSA key generation takes seconds on a busy machine, so each test process generates one key
 * file and every IdP without an explicit data directory starts from a copy of it.
 */
function templateKeys(): Promise<string> {
  template ??= (async () => {
    const { dir } = await tempDir();
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await loadOrCreateKeys(dir);
    return join(dir, KEYS_FILE);
  })();
  return template;
}

/** Starts an IdP on 127.0.0.1:0 with its own data directory; `stop` closes it and cleans up. */
export async function startTestIdp(options: IdpOptions = {}): Promise<TestIdp> {
  let dir: string;
  let cleanup = async () => {};
  if (options.dataDir) dir = options.dataDir;
  else {
    ({ dir, cleanup } = await tempDir());
    await copyFile(await templateKeys(), join(dir, KEYS_FILE));
  }
  const idp = await startIdp({
    host: '127.0.0.1',
    port: 0,
    log: silentLogger(),
    ...options,
    dataDir: dir,
  });
  return {
    idp,
    dataDir: dir,
    realmUrl: `${idp.url}/realms/${idp.realm}`,
    async stop() {
      await idp.close();
      await cleanup();
    },
  };
}

/** The shipped realm file, changed by `edit`, written to `dir`; returns its path. */
export async function writeRealm(dir: string, edit: (realm: any) => void): Promise<string> {
  const realm = JSON.parse(await readFile(DEFAULT_REALM_FILE, 'utf8'));
  edit(realm);
  const file = join(dir, 'realm.json');
  await writeFile(file, JSON.stringify(realm));
  return file;
}

export interface FormResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** POSTs a form and parses the JSON answer. */
export async function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<FormResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

export function basic(id: string, secret: string): Record<string, string> {
  const enc = (s: string) => encodeURIComponent(s);
  return { authorization: `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}` };
}

export async function clientCredentialsToken(idp: RunningIdp): Promise<string> {
  const res = await postForm(idp.tokenUrl, {
    grant_type: 'client_credentials',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  });
  if (res.status !== 200) throw new Error(`token request failed: ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}

export function decode(token: string) {
  return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
}
