import { parseArgs } from 'node:util';
import { ConfigError } from '../../errors/errors.js';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_PORT,
  rotateKeys,
  startIdp,
} from '../../idp/index.js';
import { onShutdown } from './signals.js';

const USAGE =
  `Usage:
  llamagate idp [--host ${DEFAULT_HOST}] [--port ${DEFAULT_PORT}] [--realm-file FILE]` +
  ` [--data-dir DIR] [--issuer-url URL]
  llamagate idp rotate-keys [--data-dir DIR]

Options:
  --host         interface to listen on (default ${DEFAULT_HOST})
  --port         port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --realm-file   Keycloak realm-export JSON (default configs/keycloak/lls-auth-realm.json)
  --data-dir     where signing keys are kept (default ${DEFAULT_DATA_DIR})
  --issuer-url   scheme://host:port that tokens name as issuer (default http://localhost:<port>);
                 must match the issuer the stack server is configured with`;

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`--port must be a whole number from 0 to 65535, got '${text}'`);
  }
  return port;
}

function parseIssuerUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(
      `--issuer-url must be an absolute URL such as http://localhost:8080, got '${text}'`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`--issuer-url must use http or https, got '${text}'`);
  }
  if (url.search || url.hash)
    throw new ConfigError('--issuer-url must not contain a query or fragment');
  // Accept the full realm URL too, since that is what the stack server's config holds.
  return text.replace(/\/+$/, '').replace(/\/realms\/[^/]+$/, '');
}

function parse(argv: string[], allowed: 'serve' | 'rotate') {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options:
        allowed === 'serve'
          ? {
              host: { type: 'string' },
              port: { type: 'string' },
              'realm-file': { type: 'string' },
              'data-dir': { type: 'string' },
              'issuer-url': { type: 'string' },
              help: { type: 'boolean', short: 'h' },
            }
          : { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${USAGE}`);
  }
}

/** `llamagate idp ...`: runs the embedded identity provider, or rotates its signing keys. */
export async function runIdpCommand(argv: string[]): Promise<void> {
  if (argv[0] === 'rotate-keys') {
    const values = parse(argv.slice(1), 'rotate');
    if (values.help) return void console.log(USAGE);
    const dataDir = (values['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR;
    const kid = await rotateKeys(dataDir);
    console.log(`New signing key ${kid} added in ${dataDir}; it signs from now on.`);
    console.log('Older keys stay published, so tokens they signed remain valid until they expire.');
    return;
  }

  const values = parse(argv, 'serve');
  if (values.help) return void console.log(USAGE);
  const idp = await startIdp({
    host: values.host as string | undefined,
    port: parsePort(values.port as string | undefined),
    realmFile: values['realm-file'] as string | undefined,
    dataDir: values['data-dir'] as string | undefined,
    issuerBaseUrl: parseIssuerUrl(values['issuer-url'] as string | undefined),
  });
  console.log(`IdP for realm '${idp.realm}' listening on ${idp.url}`);
  console.log(`  issuer     ${idp.issuer}`);
  console.log(`  token URL  ${idp.tokenUrl}`);
  console.log(`  JWKS       ${idp.jwksUri}`);
  console.log(`  discovery  ${idp.url}/realms/${idp.realm}/.well-known/openid-configuration`);
  onShutdown(() => idp.close());
}
