import { request, type Dispatcher } from 'undici';
import { classifyTransportError, displayUrl, secondsText } from './net-errors.js';
import type { ClientSettings } from './settings.js';

/** One dependency as `GET /health` reports it. */
export interface DependencyHealth {
  /** Something answered HTTP at that address. */
  reachable: boolean;
  /** It answered the way a working instance does. */
  ok: boolean;
  url: string;
  http_status?: number;
  latency_ms: number;
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  identity_provider: DependencyHealth;
  stack_server: DependencyHealth;
}

type HealthSettings = Pick<
  ClientSettings,
  'tokenUrl' | 'keycloakBaseUrl' | 'keycloakRealm' | 'llsBaseUrl' | 'healthTimeoutMs'
>;

const TOKEN_PATH = '/protocol/openid-connect/token';

/**
 * Probes the identity provider's discovery document and the stack server's `/v1/health` in
 * parallel. No token is fetched: a health check must not cost a token request.
 */
export async function checkHealth(
  settings: HealthSettings,
  dispatcher?: Dispatcher,
): Promise<HealthReport> {
  const [idp, stack] = await Promise.all([
    probe(discoveryUrl(settings), settings.healthTimeoutMs, dispatcher, (s) => s >= 200 && s < 300),
    // Llama Stack 0.2 guards /v1/health with auth too, so 401/403 still mean "up".
    probe(
      `${settings.llsBaseUrl}/v1/health`,
      settings.healthTimeoutMs,
      dispatcher,
      (s) => (s >= 200 && s < 300) || s === 401 || s === 403,
    ),
  ]);
  return {
    status: idp.ok && stack.ok ? 'ok' : 'degraded',
    identity_provider: idp,
    stack_server: stack,
  };
}

function discoveryUrl(settings: HealthSettings): string {
  const issuer = settings.tokenUrl.endsWith(TOKEN_PATH)
    ? settings.tokenUrl.slice(0, -TOKEN_PATH.length)
    : `${settings.keycloakBaseUrl}/realms/${encodeURIComponent(settings.keycloakRealm)}`;
  return `${issuer}/.well-known/openid-configuration`;
}

async function probe(
  url: string,
  timeoutMs: number,
  dispatcher: Dispatcher | undefined,
  isOk: (status: number) => boolean,
): Promise<DependencyHealth> {
  const started = performance.now();
  const shown = displayUrl(url);
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await request(url, {
      method: 'GET',
      signal: AbortSignal.timeout(timeoutMs),
      dispatcher,
    });
    await res.body.dump();
    const ok = isOk(res.statusCode);
    return {
      reachable: true,
      ok,
      url: shown,
      http_status: res.statusCode,
      latency_ms: elapsed(),
      ...(ok ? {} : { error: `answered ${res.statusCode}` }),
    };
  } catch (err) {
    const failure = classifyTransportError(err);
    const error =
      failure.kind === 'timeout'
        ? `no answer within ${secondsText(timeoutMs)}`
        : `not reachable (${failure.reason})`;
    return { reachable: false, ok: false, url: shown, latency_ms: elapsed(), error };
  }
}
