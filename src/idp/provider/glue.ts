import type { EventEmitter } from 'node:events';
import { IncomingMessage } from 'node:http';
import type { ServerResponse } from 'node:http';
import { CLIENT_GONE, clientGone } from '../http-util.js';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { TokenSubject } from '../claims.js';
import { issueTokens } from '../issue.js';
import type { KeyMaterial } from '../keys.js';
import { resolveScopes } from '../scopes.js';
import type { IdpState } from '../state.js';
import { providerConfiguration } from './config.js';
import { loadOidcProvider } from './load.js';

/**
 * The split between oidc-provider and the hand-written endpoints:
 *
 * - oidc-provider serves discovery, the authorization endpoint, sessions, the login
 *   interaction's state, authorization codes with PKCE and redirect-URI checks, the code
 *   exchange itself, and RP-initiated logout;
 * - the IdP's own code (endpoints/) serves client authentication with Keycloak's error codes,
 *   client_credentials, password and refresh_token grants, JWKS, introspection and userinfo,
 *   because oidc-provider either lacks them or answers in a shape Keycloak clients do not
 *   expect.
 *
 * Where the two meet, this module adjusts oidc-provider's output: the discovery document lists
 * the hand-written endpoints and grants, and a successful code exchange has its tokens
 * re-minted by the IdP's token issuer, so every access token has one shape and one signer.
 */
export interface MountedProvider {
  provider: Provider;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export async function buildProvider(
  state: IdpState,
  material: KeyMaterial,
  adapter: Parameters<typeof providerConfiguration>[2],
): Promise<MountedProvider> {
  const { Provider } = await loadOidcProvider();
  const provider = new Provider(
    state.issuer,
    providerConfiguration(state.realm, material, adapter),
  );
  allowKeycloakWildcards(provider);
  // With listeners attached, Koa stops printing stack traces to stderr on its own.
  provider.on('server_error', (_ctx: unknown, err: unknown) =>
    state.log.error({ err }, 'oidc-provider failed'),
  );
  (provider as unknown as EventEmitter).on(
    'error',
    (err: unknown, ctx?: { req?: IncomingMessage }) => {
      if (ctx?.req && clientGone(ctx.req)) state.log.info(CLIENT_GONE);
      else state.log.error({ err }, 'oidc-provider request error');
    },
  );

  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc as KoaContextWithOIDC['oidc'] | undefined;
    if (oidc?.route === 'discovery' && ctx.status === 200)
      amendDiscovery(ctx.body as Record<string, unknown>);
    if (
      oidc?.route === 'token' &&
      ctx.status === 200 &&
      oidc.params?.grant_type === 'authorization_code'
    ) {
      ctx.body = await remintCodeTokens(state, ctx as KoaContextWithOIDC);
    }
  });

  const callback = provider.callback();
  return {
    provider,
    handle: (req, res) => Promise.resolve(callback(req, res)),
  };
}

/** The discovery document must describe the endpoints this server really answers. */
function amendDiscovery(doc: Record<string, unknown>): void {
  const token = String(doc.token_endpoint);
  doc.grant_types_supported = [
    'authorization_code',
    'client_credentials',
    'password',
    'refresh_token',
  ];
  doc.introspection_endpoint = `${token}/introspect`;
  doc.token_endpoint_auth_methods_supported = ['client_secret_basic', 'client_secret_post'];
  doc.introspection_endpoint_auth_methods_supported = ['client_secret_basic', 'client_secret_post'];
  doc.token_endpoint_auth_signing_alg_values_supported = undefined;
  doc.userinfo_signing_alg_values_supported = undefined;
  // DPoP proofs are not checked by the hand-written token endpoint, so it is not offered.
  doc.dpop_signing_alg_values_supported = undefined;
}

async function remintCodeTokens(state: IdpState, ctx: KoaContextWithOIDC) {
  const { AuthorizationCode: code, AccessToken: opaque } = ctx.oidc.entities;
  const client = state.realm.clients.get(code!.clientId!);
  const user = state.realm.usersById.get(code!.accountId!);
  if (!client || !user) throw new Error('authorization code refers to an unknown client or user');
  // The provider's own opaque token is never handed out; drop it from its store.
  await opaque?.destroy();
  const subject: TokenSubject = {
    realm: state.realm,
    issuer: state.issuer,
    client,
    user,
    scopes: resolveScopes(code!.scope),
    session: {
      id: code!.sid ?? code!.sessionUid!,
      authTime: code!.authTime ?? Math.floor(Date.now() / 1000),
    },
  };
  return issueTokens(state.signer, subject, { refresh: true, nonce: code!.nonce });
}

/**
 * Keycloak lets a redirect URI end in `*` (prefix match); oidc-provider matches exactly, so
 * the realm's wildcard entries are honoured here.
 */
function allowKeycloakWildcards(provider: Provider): void {
  type ClientProto = Record<
    'redirectUriAllowed' | 'postLogoutRedirectUriAllowed',
    (v: string) => boolean
  >;
  const proto = provider.Client.prototype as unknown as ClientProto;
  const lists = {
    redirectUriAllowed: 'redirectUris',
    postLogoutRedirectUriAllowed: 'postLogoutRedirectUris',
  };
  for (const [method, list] of Object.entries(lists) as Array<[keyof ClientProto, string]>) {
    const exact = proto[method];
    proto[method] = function (this: Record<string, unknown>, value: string): boolean {
      if (exact.call(this, value)) return true;
      if (value.includes('#') || !URL.canParse(value)) return false;
      const patterns = (this[list] as string[] | undefined) ?? [];
      return patterns.some((p) => p.endsWith('*') && value.startsWith(p.slice(0, -1)));
    };
  }
}

/**
 * A copy of `req` whose body is `form`: the IdP has already read the original stream, and
 * oidc-provider reads bodies from the stream itself.
 */
export function withBody(req: IncomingMessage, form: URLSearchParams): IncomingMessage {
  const body = Buffer.from(form.toString(), 'utf8');
  const copy = new IncomingMessage(req.socket);
  copy.method = req.method;
  copy.url = req.url;
  copy.httpVersion = req.httpVersion;
  copy.headers = {
    ...req.headers,
    'content-type': 'application/x-www-form-urlencoded',
    'content-length': String(body.length),
  };
  (copy as { originalUrl?: string }).originalUrl = (req as { originalUrl?: string }).originalUrl;
  // Without `complete`, destroying the finished copy would be taken as an aborted request and
  // tear down the shared socket.
  copy.complete = true;
  copy.push(body);
  copy.push(null);
  return copy;
}

/**
 * oidc-provider is mounted at the realm URL: it must see the realm-relative path, and it
 * recovers the mount point from `originalUrl` when it builds absolute URLs.
 */
export function mountRelative(req: IncomingMessage, mount: string): IncomingMessage {
  const url = req.url ?? '/';
  if (!url.startsWith(mount)) return req;
  (req as { originalUrl?: string }).originalUrl = url;
  req.url = url.slice(mount.length) || '/';
  return req;
}
