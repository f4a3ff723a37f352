import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../errors/errors.js';
import { readRealmClientSecret, SHIPPED_REALM_FILE } from './realm-secret.js';

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic';

/**
 * Everything the client service and `llamagate token` need, validated and with defaults
 * applied.
 */
export interface ClientSettings {
  keycloakBaseUrl: string;
  keycloakRealm: string;
  clientId: string;
  clientSecret: string;
  /** Where the secret came from, so error messages can say what to fix. */
  clientSecretFrom: 'env' | 'realm-file' | 'options';
  /** KEYCLOAK_TOKEN_URL, else `{base}/realms/{realm}/protocol/openid-connect/token`. */
  tokenUrl: string;
  clientAuth: ClientAuthMethod;
  scope: string | undefined;
  tokenTimeoutMs: number;
  llsBaseUrl: string;
  chatEndpoint: string;
  model: string;
  /** Until the stack server's first byte, and between stream chunks. */
  upstreamTimeoutMs: number;
  healthTimeoutMs: number;
  /** How long a caller may take to send its whole request. */
  requestTimeoutMs: number;
  debug: boolean;
  host: string;
  port: number;
}

export const CLIENT_DEFAULTS = {
  keycloakBaseUrl: 'http://localhost:8080',
  keycloakRealm: 'lls-auth',
  clientId: 'lls-client',
  llsBaseUrl: 'http://localhost:8321',
  chatEndpoint: '/v1/inference/chat-completion',
  model: 'llama3.2:3b',
  tokenTimeoutS: 10,
  upstreamTimeoutS: 120,
  healthTimeoutS: 2,
  requestTimeoutS: 60,
  host: '127.0.0.1',
  port: 8000,
} as const;

/** Empty strings count as unset, as a `KEY=` line in .env almost always means "not configured". */
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const httpUrl = optionalText.refine(
  (v) => {
    if (v === undefined) return true;
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  },
  { message: 'must be an absolute http:// or https:// URL, e.g. http://localhost:8080' },
);

const seconds = optionalText.refine(
  (v) => v === undefined || (Number.isFinite(Number(v)) && Number(v) > 0),
  { message: 'must be a positive number of seconds, e.g. 10 or 0.5' },
);

const envSchema = z.object({
  KEYCLOAK_BASE_URL: httpUrl,
  KEYCLOAK_REALM: optionalText.refine((v) => v === undefined || !v.includes('/'), {
    message: 'must be a realm name without slashes, e.g. lls-auth',
  }),
  KEYCLOAK_CLIENT_ID: optionalText,
  KEYCLOAK_CLIENT_SECRET: optionalText,
  KEYCLOAK_TOKEN_URL: httpUrl,
  KEYCLOAK_CLIENT_AUTH: optionalText.refine(
    (v) => v === undefined || v === 'client_secret_post' || v === 'client_secret_basic',
    { message: 'must be client_secret_post or client_secret_basic' },
  ),
  KEYCLOAK_SCOPE: optionalText,
  KEYCLOAK_TIMEOUT_SECONDS: seconds,
  LLS_BASE_URL: httpUrl,
  LLS_CHAT_ENDPOINT: optionalText.refine((v) => v === undefined || v.startsWith('/'), {
    message: 'must be a path starting with /, e.g. /v1/inference/chat-completion',
  }),
  LLS_MODEL: optionalText,
  LLS_TIMEOUT_SECONDS: seconds,
  HEALTH_TIMEOUT_SECONDS: seconds,
  CLIENT_REQUEST_TIMEOUT_SECONDS: seconds.refine((v) => v === undefined || Number(v) <= 3600, {
    message: 'must be at most 3600 seconds',
  }),
  DEBUG: optionalText.refine(
    (v) => v === undefined || /^(true|false|1|0|yes|no|on|off)$/i.test(v),
    { message: 'must be true or false' },
  ),
  CLIENT_HOST: optionalText,
  CLIENT_PORT: optionalText.refine(
    (v) => v === undefined || (/^\d+$/.test(v) && Number(v) <= 65535),
    { message: 'must be a port number between 0 and 65535' },
  ),
});

type EnvInput = z.infer<typeof envSchema>;
type Env = Record<string, string | undefined>;

export interface LoadSettingsOptions {
  /** Directory whose `.env` is read when present (default: the current directory). */
  cwd?: string;
  /** An explicit env file instead of `<cwd>/.env`; it must exist. */
  envFile?: string;
  /** Values from code; they beat both the environment and the env file. */
  overrides?: Partial<ClientSettings>;
  /** Realm export consulted for the client secret when none is configured. */
  realmFile?: string;
}

/**
 * Reads the client settings from `env` plus `<cwd>/.env`. Variables already present in `env`
 * win over the file, as python-dotenv does. Throws ConfigError naming the variable to fix.
 */
export function loadClientSettings(env: Env, cwd: string = process.cwd()): ClientSettings {
  return resolveClientSettings(env, { cwd });
}

/** loadClientSettings with an explicit env file, code overrides and a custom realm file. */
export function resolveClientSettings(env: Env, options: LoadSettingsOptions = {}): ClientSettings {
  const merged = { ...readEnvFile(options), ...definedOnly(env) };
  const parsed = envSchema.safeParse(pickKnown(merged));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const value = merged[name];
    // Echo the bad value to help fixing it, except the one variable that holds a secret.
    const shown =
      value !== undefined && name !== 'KEYCLOAK_CLIENT_SECRET' ? ` (got '${value}')` : '';
    throw new ConfigError(`${name} ${issue?.message ?? 'is invalid'}${shown}`);
  }
  return finish(parsed.data, options);
}

function finish(input: EnvInput, options: LoadSettingsOptions): ClientSettings {
  const o = options.overrides ?? {};
  const keycloakBaseUrl = trimSlash(
    o.keycloakBaseUrl ?? input.KEYCLOAK_BASE_URL ?? CLIENT_DEFAULTS.keycloakBaseUrl,
  );
  const keycloakRealm = o.keycloakRealm ?? input.KEYCLOAK_REALM ?? CLIENT_DEFAULTS.keycloakRealm;
  const clientId = o.clientId ?? input.KEYCLOAK_CLIENT_ID ?? CLIENT_DEFAULTS.clientId;
  const secret = resolveSecret(clientId, o.clientSecret, input.KEYCLOAK_CLIENT_SECRET, options);

  return {
    keycloakBaseUrl,
    keycloakRealm,
    clientId,
    ...secret,
    tokenUrl:
      o.tokenUrl ??
      input.KEYCLOAK_TOKEN_URL ??
      `${keycloakBaseUrl}/realms/${encodeURIComponent(keycloakRealm)}` +
        '/protocol/openid-connect/token',
    clientAuth:
      o.clientAuth ??
      (input.KEYCLOAK_CLIENT_AUTH as ClientAuthMethod | undefined) ??
      'client_secret_post',
    scope: 'scope' in o ? o.scope : input.KEYCLOAK_SCOPE,
    tokenTimeoutMs:
      o.tokenTimeoutMs ?? ms(input.KEYCLOAK_TIMEOUT_SECONDS, CLIENT_DEFAULTS.tokenTimeoutS),
    llsBaseUrl: trimSlash(o.llsBaseUrl ?? input.LLS_BASE_URL ?? CLIENT_DEFAULTS.llsBaseUrl),
    chatEndpoint: o.chatEndpoint ?? input.LLS_CHAT_ENDPOINT ?? CLIENT_DEFAULTS.chatEndpoint,
    model: o.model ?? input.LLS_MODEL ?? CLIENT_DEFAULTS.model,
    upstreamTimeoutMs:
      o.upstreamTimeoutMs ?? ms(input.LLS_TIMEOUT_SECONDS, CLIENT_DEFAULTS.upstreamTimeoutS),
    healthTimeoutMs:
      o.healthTimeoutMs ?? ms(input.HEALTH_TIMEOUT_SECONDS, CLIENT_DEFAULTS.healthTimeoutS),
    requestTimeoutMs:
      o.requestTimeoutMs ??
      ms(input.CLIENT_REQUEST_TIMEOUT_SECONDS, CLIENT_DEFAULTS.requestTimeoutS),
    debug: o.debug ?? /^(true|1|yes|on)$/i.test(input.DEBUG ?? ''),
    host: o.host ?? input.CLIENT_HOST ?? CLIENT_DEFAULTS.host,
    port:
      o.port ??
      (input.CLIENT_PORT === undefined ? CLIENT_DEFAULTS.port : Number(input.CLIENT_PORT)),
  };
}

function resolveSecret(
  clientId: string,
  fromOptions: string | undefined,
  fromEnv: string | undefined,
  options: LoadSettingsOptions,
): Pick<ClientSettings, 'clientSecret' | 'clientSecretFrom'> {
  if (fromOptions) return { clientSecret: fromOptions, clientSecretFrom: 'options' };
  if (fromEnv) return { clientSecret: fromEnv, clientSecretFrom: 'env' };

  const realmFile = options.realmFile ?? SHIPPED_REALM_FILE;
  const fromFile = readRealmClientSecret(clientId, realmFile);
  if (fromFile) return { clientSecret: fromFile, clientSecretFrom: 'realm-file' };
  throw new ConfigError(
    `KEYCLOAK_CLIENT_SECRET is not set and ${realmFile} has no secret for client '${clientId}': ` +
      `set KEYCLOAK_CLIENT_SECRET to the secret on the client's Credentials tab in Keycloak`,
  );
}

function readEnvFile(options: LoadSettingsOptions): Env {
  const path = options.envFile ?? join(options.cwd ?? process.cwd(), '.env');
  if (!existsSync(path)) {
    if (options.envFile) throw new ConfigError(`env file ${path} does not exist`);
    return {};
  }
  try {
    return parseEnv(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read env file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function pickKnown(env: Env): Record<string, string | undefined> {
  return Object.fromEntries(Object.keys(envSchema.shape).map((key) => [key, env[key]]));
}

function definedOnly(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

function ms(value: string | undefined, fallbackSeconds: number): number {
  return Math.round((value === undefined ? fallbackSeconds : Number(value)) * 1000);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
