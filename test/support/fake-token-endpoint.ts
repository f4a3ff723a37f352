import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One token request as the fake endpoint saw it. */
export interface TokenRequestRecord {
  auth: 'post' | 'basic' | 'none';
  clientId: string | undefined;
  form: Record<string, string>;
}

/** A canned answer that replaces normal behaviour while set. */
export interface CannedAnswer {
  status: number;
  body: string;
}

export interface FakeTokenEndpoint {
  /** Base URL, e.g. http://127.0.0.1:PORT (what KEYCLOAK_BASE_URL would be). */
  url: string;
  realm: string;
  tokenUrl: string;
  requests: TokenRequestRecord[];
  /** Lifetime given to new tokens, in seconds; change it between requests. */
  expiresIn: number | undefined;
  /** Delay before answering a token request, in milliseconds. */
  delayMs: number;
  canned: CannedAnswer | undefined;
  isValid(token: string): boolean;
  revokeAll(): void;
  close(): Promise<void>;
}

export interface FakeTokenEndpointOptions {
  realm?: string;
  clients?: Record<string, string>;
  expiresIn?: number;
}

/**
 * A minimal Keycloak-like client-credentials endpoint for unit tests: opaque random tokens,
 * Keycloak's error codes and texts, a discovery document, and knobs for delays and failures.
 */
export async function startFakeTokenEndpoint(
  options: FakeTokenEndpointOptions = {},
): Promise<FakeTokenEndpoint> {
  const realm = options.realm ?? 'lls-auth';
  const clients = options.clients ?? { 'lls-client': 'test-secret' };
  const issued = new Set<string>();
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });

  const fake: FakeTokenEndpoint = {
    url: '',
    realm,
    tokenUrl: '',
    requests: [],
    expiresIn: options.expiresIn ?? 300,
    delayMs: 0,
    canned: undefined,
    isValid: (token) => issued.has(token),
    revokeAll: () => issued.clear(),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const base = `/realms/${realm}`;
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method === 'GET' && path === `${base}/.well-known/openid-configuration`) {
      return json(res, 200, { issuer: `${fake.url}${base}`, token_endpoint: fake.tokenUrl });
    }
    if (!path.startsWith(`${base}/`)) return json(res, 404, { error: 'Realm does not exist' });
    if (req.method !== 'POST' || path !== `${base}/protocol/openid-connect/token`) {
      return json(res, 404, { error: 'Unable to find matching target resource method' });
    }

    const form = Object.fromEntries(new URLSearchParams(await readText(req)));
    const basic = parseBasic(req.headers.authorization);
    const clientId = basic?.id ?? form.client_id;
    fake.requests.push({
      auth: basic ? 'basic' : form.client_secret ? 'post' : 'none',
      clientId,
      form,
    });
    if (fake.delayMs > 0) await new Promise((r) => setTimeout(r, fake.delayMs));
    if (fake.canned) {
      res.writeHead(fake.canned.status, { 'content-type': 'application/json' });
      return void res.end(fake.canned.body);
    }

    if (!clientId) {
      return json(res, 400, {
        error: 'invalid_client',
        error_description: 'Missing client_id parameter',
      });
    }
    const secret = basic?.secret ?? form.client_secret;
    if (!(clientId in clients)) {
      return json(res, 401, {
        error: 'invalid_client',
        error_description: 'Invalid client or Invalid client credentials',
      });
    }
    if (clients[clientId] !== secret) {
      return json(res, 401, {
        error: 'unauthorized_client',
        error_description: 'Invalid client or Invalid client credentials',
      });
    }
    if (form.grant_type !== 'client_credentials') {
      return json(res, 400, {
        error: 'unsupported_grant_type',
        error_description: 'Unsupported grant_type',
      });
    }
    const token = `tok-${randomBytes(12).toString('hex')}`;
    issued.add(token);
    const answer: Record<string, unknown> = { access_token: token, token_type: 'Bearer' };
    if (fake.expiresIn !== undefined) answer.expires_in = fake.expiresIn;
    return json(res, 200, answer);
  }

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.tokenUrl = `${fake.url}/realms/${realm}/protocol/openid-connect/token`;
  return fake;
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
