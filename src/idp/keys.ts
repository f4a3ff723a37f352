import { generateKeyPair, randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import type { JWK } from 'jose';
import { z } from 'zod';
import { ConfigError } from '../errors/errors.js';

/**
 * The IdP's key material, persisted in `<dataDir>/keys.json` (mode 0600) so tokens survive
 * restarts. Like a Keycloak realm it holds RSA signing keys (newest first; the first one signs,
 * the rest stay published so tokens they signed keep verifying), one RSA-OAEP encryption key that
 * is only published, an HMAC secret for refresh tokens, and cookie-signing keys.
 */
export interface StoredKey {
  kid: string;
  createdAt: string;
  jwk: JWK;
}

export interface KeyMaterial {
  signing: StoredKey[];
  encryption: StoredKey;
  hmac: { kid: string; secret: string };
  cookieKeys: string[];
}

export const KEYS_FILE = 'keys.json';

const jwkSchema = z.looseObject({
  kty: z.literal('RSA'),
  n: z.string(),
  e: z.string(),
  d: z.string(),
});
const storedKeySchema = z.object({ kid: z.string().min(1), createdAt: z.string(), jwk: jwkSchema });
const materialSchema = z.object({
  signing: z.array(storedKeySchema).min(1),
  encryption: storedKeySchema,
  hmac: z.object({ kid: z.string().min(1), secret: z.string().min(32) }),
  cookieKeys: z.array(z.string().min(16)).min(1),
});

const generateRsa = promisify(generateKeyPair);

async function newRsaKey(use: 'sig' | 'enc'): Promise<StoredKey> {
  const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
  const full = await exportJWK(privateKey);
  // The kid is the RFC 7638 thumbprint: 43 base64url characters, the same form Keycloak uses.
  const kid = await calculateJwkThumbprint(full, 'sha256');
  const alg = use === 'sig' ? 'RS256' : 'RSA-OAEP';
  return { kid, createdAt: new Date().toISOString(), jwk: { ...full, kid, alg, use } };
}

async function generateMaterial(): Promise<KeyMaterial> {
  const [signing, encryption] = await Promise.all([newRsaKey('sig'), newRsaKey('enc')]);
  return {
    signing: [signing],
    encryption,
    hmac: { kid: randomUUID(), secret: randomBytes(64).toString('base64url') },
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
}

async function readMaterial(file: string): Promise<KeyMaterial | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read IdP key file ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(
      `IdP key file ${file} is not valid JSON; delete it to generate new keys`,
      { cause },
    );
  }
  const parsed = materialSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      `IdP key file ${file} is damaged (${parsed.error.issues[0]?.message}); ` +
        'delete it to generate new keys',
    );
  }
  return parsed.data as KeyMaterial;
}

/** Atomic write (temp file + rename) so a running IdP never reads half a file. */
async function writeMaterial(dataDir: string, material: KeyMaterial): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, KEYS_FILE);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(material, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** Loads the key material from `dataDir`, generating and saving it on first use. */
export async function loadOrCreateKeys(dataDir: string): Promise<KeyMaterial> {
  const existing = await readMaterial(join(dataDir, KEYS_FILE));
  if (existing) return existing;
  const created = await generateMaterial();
  await writeMaterial(dataDir, created);
  return created;
}

/** Reads the key material without creating it; undefined when the file does not exist. */
export function readKeys(dataDir: string): Promise<KeyMaterial | undefined> {
  return readMaterial(join(dataDir, KEYS_FILE));
}

/**
 * Adds a new RS256 signing key in front of the others and saves the file. Old keys stay
 * published (Keycloak's "passive" keys), so tokens already issued keep verifying.
 */
export async function addSigningKey(dataDir: string): Promise<string> {
  const material = await loadOrCreateKeys(dataDir);
  const key = await newRsaKey('sig');
  material.signing.unshift(key);
  await writeMaterial(dataDir, material);
  return key.kid;
}

/** Public members only: what `/certs` publishes. Encryption key first, as Keycloak often does. */
export function publicJwks(material: KeyMaterial): { keys: JWK[] } {
  const pub = ({ jwk }: StoredKey): JWK => ({
    kid: jwk.kid,
    kty: jwk.kty,
    alg: jwk.alg,
    use: jwk.use,
    n: jwk.n,
    e: jwk.e,
  });
  return { keys: [pub(material.encryption), ...material.signing.map(pub)] };
}
