import type { Dispatcher } from 'undici';
import { AuthenticationError, AuthServiceUnavailableError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { attributesFromClaims, principalIdFromClaims } from './claims.js';
import type { Claims } from './claims.js';
import type { OAuth2Config } from './config.js';
import { callService, ServiceUnreachableError } from './http-client.js';
import { isoTime, listOf, show } from './jwt-errors.js';
import type { Principal } from './types.js';

const INTROSPECTION_TIMEOUT_MS = 10_000;

type IntrospectionConfig = NonNullable<OAuth2Config['introspection']>;

/** RFC 6749 §2.3.1: client id and secret are form-encoded before going into Basic auth. */
function basicAuth(id: string, secret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

/**
 * RFC 7662 token introspection. The IdP decides whether the token is active; we still refuse
 * answers that are expired, name another issuer or audience, or describe a non-access token,
 * because an IdP that introspects every token kind would otherwise let ID tokens in.
 */
export class IntrospectionVerifier {
  private readonly url: string;

  constructor(
    private readonly config: OAuth2Config,
    private readonly introspection: IntrospectionConfig,
    private readonly dispatcher: Dispatcher | undefined,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    this.url = introspection.url;
  }

  async verify(token: string): Promise<Principal> {
    const claims = await this.ask(token);
    if (claims.active !== true) throw new AuthenticationError('token not active');

    const skew = this.config.clock_skew_seconds;
    if (typeof claims.exp === 'number' && claims.exp <= this.now() / 1000 - skew) {
      throw new AuthenticationError(`token expired at ${isoTime(claims.exp)}`);
    }
    const issuers = this.config.issuer ? [this.config.issuer].flat() : [];
    if (issuers.length > 0 && claims.iss !== undefined && !issuers.includes(claims.iss as string)) {
      throw new AuthenticationError(
        `wrong issuer: expected ${listOf(issuers)}, token has ${show(claims.iss)}`,
      );
    }
    if (claims.aud !== undefined) {
      const has = [claims.aud].flat();
      if (![this.config.audience].flat().some((aud) => has.includes(aud))) {
        throw new AuthenticationError(
          `wrong audience: expected ${listOf(this.config.audience)}, ` +
            `token has [${has.map(show).join(', ')}]`,
        );
      }
    }
    if (typeof claims.typ === 'string' && claims.typ.toLowerCase() !== 'bearer') {
      throw new AuthenticationError(`not an access token (typ=${show(claims.typ)})`);
    }

    const id = principalIdFromClaims(claims) ?? stringClaim(claims.username);
    if (id === undefined) throw new AuthenticationError('introspection result names no subject');
    return {
      id,
      attributes: attributesFromClaims(claims, this.config.claims_mapping),
      ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}),
    };
  }

  private async ask(token: string): Promise<Claims> {
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    const { client_id: id, client_secret: secret } = this.introspection;
    if (this.introspection.send_secret_in_body) {
      form.set('client_id', id);
      form.set('client_secret', secret);
    } else {
      headers.authorization = basicAuth(id, secret);
    }

    try {
      const reply = await callService(this.url, {
        method: 'POST',
        headers,
        body: form.toString(),
        timeoutMs: INTROSPECTION_TIMEOUT_MS,
        dispatcher: this.dispatcher,
      });
      // Any non-200 is the gateway's problem (bad client credentials, wrong URL, IdP error):
      // the caller cannot fix it, so it is a 503 rather than a 401.
      if (reply.status !== 200) throw new ServiceUnreachableError(`HTTP ${reply.status}`);
      const body = JSON.parse(reply.text) as unknown;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new ServiceUnreachableError('answer is not a JSON object');
      }
      return body as Claims;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.log.error({ introspection: this.url, reason }, 'token introspection failed');
      throw new AuthServiceUnavailableError(
        `authentication service unavailable: token introspection at ${this.url} failed`,
        { detail: { reason } },
      );
    }
  }
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
