/**
 * The tutorial's three servers as separate `llamagate` processes, wired the way the tutorial
 * wires them: the stack server's run.yaml gets the IdP's issuer and JWKS URL through
 * KEYCLOAK_ISSUER / KEYCLOAK_JWKS_URI, the client service reads KEYCLOAK_BASE_URL and LLS_BASE_URL.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT, freePort, startCli } from '../support/processes.js';
import type { CliProcess } from '../support/processes.js';

export const RUN_YAML = join(REPO_ROOT, 'configs/run.yaml');
export const REALM_FILE = join(REPO_ROOT, 'configs/keycloak/lls-auth-realm.json');
export const CLIENT_SECRET = 'lls-client-dev-secret';

export interface IdpProcess {
  proc: CliProcess;
  port: number;
  /** `http://localhost:PORT`, as the tutorial's KEYCLOAK_BASE_URL. */
  base: string;
  issuer: string;
  jwksUri: string;
}

export interface ServerProcess {
  proc: CliProcess;
  url: string;
}

/** A scratch directory; children run in it so no `.env` of the checkout is read. */
export async function scratchDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'llamagate-e2e-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `llamagate idp` on `port` (picked when omitted), keys in `dataDir`. */
export async function startIdpProcess(options: {
  cwd: string;
  dataDir: string;
  port?: number;
  realmFile?: string;
}): Promise<IdpProcess> {
  const port = options.port ?? (await freePort());
  const args = ['idp', '--port', String(port), '--data-dir', options.dataDir];
  if (options.realmFile) args.push('--realm-file', options.realmFile);
  const proc = startCli(args, { name: 'idp', cwd: options.cwd });
  const [, issuer] = await proc.waitForOutput(/issuer\s+(\S+)/);
  const [, jwks] = await proc.waitForOutput(/JWKS\s+(\S+)/);
  const base = `http://localhost:${port}`;
  // The printed JWKS URL names 127.0.0.1; the tutorial's run.yaml names localhost.
  return { proc, port, base, issuer: issuer!, jwksUri: jwks!.replace(/^http:\/\/[^/]+/, base) };
}

/** `llamagate stack run --config <run.yaml>` pointed at the IdP and at Ollama. */
export async function startStackProcess(options: {
  cwd: string;
  idp: { issuer: string; jwksUri: string };
  ollamaUrl: string;
  port?: number;
  config?: string;
}): Promise<ServerProcess> {
  const port = options.port ?? 0;
  const args = ['stack', 'run', '--config', options.config ?? RUN_YAML, '--port', String(port)];
  args.push('--host', '127.0.0.1', '--data-dir', join(options.cwd, '.llamagate'));
  for (const [key, value] of Object.entries({
    KEYCLOAK_ISSUER: options.idp.issuer,
    KEYCLOAK_JWKS_URI: options.idp.jwksUri,
    OLLAMA_URL: options.ollamaUrl,
  }))
    args.push('--env', `${key}=${value}`);
  const proc = startCli(args, { name: 'stack', cwd: options.cwd });
  const [line] = await proc.waitForOutput(/\{[^\n]*"stack server listening"[^\n]*\}/);
  return { proc, url: (JSON.parse(line) as { url: string }).url };
}

/** The environment of the tutorial's client (`.env` of lls_auth_client). */
export function clientEnv(
  idpBase: string,
  stackUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    KEYCLOAK_BASE_URL: idpBase,
    KEYCLOAK_REALM: 'lls-auth',
    KEYCLOAK_CLIENT_ID: 'lls-client',
    KEYCLOAK_CLIENT_SECRET: CLIENT_SECRET,
    LLS_BASE_URL: stackUrl,
    ...extra,
  };
}

/** `llamagate client --port 0` with `env`; resolves with the URL it printed. */
export async function startClientProcess(options: {
  cwd: string;
  env: Record<string, string>;
  port?: number;
}): Promise<ServerProcess> {
  const args = ['client', '--host', '127.0.0.1', '--port', String(options.port ?? 0)];
  const proc = startCli(args, { name: 'client', cwd: options.cwd, env: options.env });
  const [, url] = await proc.waitForOutput(/llamagate client listening on (\S+)/);
  return { proc, url: url! };
}

export interface Trio {
  idp: IdpProcess;
  stack: ServerProcess;
  client: ServerProcess;
  /** The client's environment, also what `llamagate token` needs. */
  env: Record<string, string>;
  /** More client services, each with the trio's environment plus its overrides. */
  extraClients: ServerProcess[];
}

/**
 * IdP first, then stack server and client service at the same time. The stack server loads the
 * IdP's keys at start; had that failed, it would retry only after its refetch cooldown (10 s),
 * answering 503 meanwhile (outages.test.ts covers that case on purpose).
 */
export async function startTrio(options: {
  cwd: string;
  ollamaUrl: string;
  realmFile?: string;
  config?: string;
  clientEnv?: Record<string, string>;
  extraClients?: Array<Record<string, string>>;
}): Promise<Trio> {
  const [idpPort, stackPort] = [await freePort(), await freePort()];
  const base = `http://localhost:${idpPort}`;
  const expected = {
    issuer: `${base}/realms/lls-auth`,
    jwksUri: `${base}/realms/lls-auth/protocol/openid-connect/certs`,
  };
  const env = clientEnv(base, `http://127.0.0.1:${stackPort}`, options.clientEnv);
  // Client services touch the IdP only when a request comes, so they start alongside it.
  const clients = Promise.all(
    [{}, ...(options.extraClients ?? [])].map((overrides) =>
      startClientProcess({ cwd: options.cwd, env: { ...env, ...overrides } }),
    ),
  );
  clients.catch(() => undefined); // awaited below; this only keeps an early failure handled
  const idp = await startIdpProcess({
    cwd: options.cwd,
    dataDir: join(options.cwd, 'idp'),
    port: idpPort,
    realmFile: options.realmFile,
  });
  const stack = await startStackProcess({ ...options, idp: expected, port: stackPort });
  const [client, ...extraClients] = await clients;
  assert.equal(idp.issuer, expected.issuer, 'the IdP names the issuer the stack server expects');
  return { idp, stack, client: client!, env, extraClients };
}

/** A copy of the shipped realm file with every access-token lifespan set to `seconds`. */
export async function realmWithLifespan(dir: string, seconds: number): Promise<string> {
  const realm = JSON.parse(await readFile(REALM_FILE, 'utf8'));
  realm.accessTokenLifespan = seconds;
  for (const client of realm.clients ?? []) {
    if (client.attributes?.['access.token.lifespan'])
      client.attributes['access.token.lifespan'] = String(seconds);
  }
  const file = join(dir, 'short-lived-realm.json');
  await writeFile(file, JSON.stringify(realm, null, 2));
  return file;
}

/** A copy of the tutorial's run.yaml with extra `server.auth.provider_config` settings. */
export async function runYamlWith(dir: string, providerConfig: Record<string, unknown>) {
  const doc = parse(await readFile(RUN_YAML, 'utf8'));
  Object.assign(doc.server.auth.provider_config, providerConfig);
  const file = join(dir, 'run.yaml');
  await writeFile(file, stringify(doc));
  return file;
}

/** A client-credentials token straight from the IdP's token endpoint (`base` = KEYCLOAK_BASE_URL). */
export async function fetchToken(base: string, secret = CLIENT_SECRET): Promise<string> {
  const res = await fetch(`${base}/realms/lls-auth/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'lls-client',
      client_secret: secret,
    }),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json()) as { access_token?: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.access_token!;
}

/** POST /api/invoke with a JSON body; returns status, headers and parsed body. */
export async function invoke(clientUrl: string, body: unknown, signal?: AbortSignal) {
  const res = await fetch(`${clientUrl}/api/invoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: signal ?? AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
