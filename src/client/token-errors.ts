import {
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  type GatewayError,
} from '../errors/errors.js';
import { displayUrl, secondsText, type TransportFailure } from './net-errors.js';

/** What the messages need to know about the failed token request. */
export interface TokenRequestContext {
  tokenUrl: string;
  clientId: string;
  clientSecretFrom: 'env' | 'realm-file' | 'options';
  timeoutMs: number;
}

interface OAuthErrorBody {
  error?: string;
  description?: string;
}

/**
 * Turns an error answer of the token endpoint into a plain-words GatewayError. A failed token
 * request is our configuration's fault, not the caller's, hence 502 rather than 401.
 */
export function tokenEndpointError(
  status: number,
  bodyText: string,
  ctx: TokenRequestContext,
): GatewayError {
  const body = parseOAuthError(bodyText);
  const said = describe(body, bodyText);
  const client = `'${ctx.clientId}'`;
  const detail = { status, error: body.error, description: body.description };

  if (status === 401 || body.error === 'invalid_client' || body.error === 'unauthorized_client') {
    return new UpstreamError(
      `the identity provider rejected the client credentials for ${client} (${said}) — ` +
        credentialsHint(body, ctx),
      502,
      { detail },
    );
  }
  if (status === 404) {
    return new UpstreamError(
      `the identity provider at ${displayUrl(ctx.tokenUrl)} answered 404 (${said}) — ` +
        'check KEYCLOAK_REALM and KEYCLOAK_BASE_URL (or KEYCLOAK_TOKEN_URL)',
      502,
      { detail },
    );
  }
  if (status >= 500) {
    const message = `the identity provider answered ${status} to the token request (${said})`;
    return status === 502 || status === 503 || status === 504
      ? new UpstreamUnavailableError(message, { detail })
      : new UpstreamError(message, 502, { detail });
  }
  return new UpstreamError(
    `the identity provider refused the token request for ${client} with ${status} (${said})`,
    502,
    { detail },
  );
}

/** No HTTP answer at all: 503 when unreachable, 504 when too slow. */
export function tokenTransportError(
  failure: TransportFailure,
  ctx: TokenRequestContext,
): GatewayError {
  const where = displayUrl(ctx.tokenUrl);
  if (failure.kind === 'timeout') {
    return new UpstreamTimeoutError(
      `the identity provider at ${where} did not answer within ${secondsText(ctx.timeoutMs)}`,
      { detail: failure },
    );
  }
  return new UpstreamUnavailableError(
    `identity provider at ${where} is not reachable (${failure.reason}) — ` +
      'is it running? check KEYCLOAK_BASE_URL',
    { detail: failure },
  );
}

/** A 2xx answer that cannot be used. */
export function tokenAnswerError(problem: string, ctx: TokenRequestContext): GatewayError {
  return new UpstreamError(
    `the identity provider at ${displayUrl(ctx.tokenUrl)} answered the token request ${problem}`,
    502,
  );
}

function credentialsHint(body: OAuthErrorBody, ctx: TokenRequestContext): string {
  const text = body.description?.toLowerCase() ?? '';
  if (text.includes('service account')) {
    return `enable "Service accounts roles" for client '${ctx.clientId}' in the identity provider`;
  }
  if (text.includes('could not find client') || text.includes('not found')) {
    return 'check KEYCLOAK_CLIENT_ID';
  }
  // Recent Keycloak answers an unknown client with invalid_client and the same text as a bad
  // secret, so both variables are suspects.
  const which =
    body.error === 'invalid_client'
      ? 'KEYCLOAK_CLIENT_ID and KEYCLOAK_CLIENT_SECRET'
      : 'KEYCLOAK_CLIENT_SECRET';
  if (ctx.clientSecretFrom === 'realm-file') {
    return (
      `check ${which} (the secret is unset, so the development secret of the shipped ` +
      'realm file was used)'
    );
  }
  return `check ${which}`;
}

function parseOAuthError(text: string): OAuthErrorBody {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    return {
      error: typeof json.error === 'string' ? json.error : undefined,
      description: typeof json.error_description === 'string' ? json.error_description : undefined,
    };
  } catch {
    return {};
  }
}

function describe(body: OAuthErrorBody, text: string): string {
  if (body.error && body.description) return `${body.error}: ${body.description}`;
  if (body.error || body.description) return (body.error ?? body.description) as string;
  const snippet = text.trim().replace(/\s+/g, ' ').slice(0, 200);
  return snippet === '' ? 'empty body' : snippet;
}
