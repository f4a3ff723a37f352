import {
  GatewayError,
  UpstreamError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../errors/errors.js';
import { displayUrl, secondsText, type TransportFailure } from './net-errors.js';

/** Statuses that describe the caller's request, so the caller gets them unchanged. */
const CALLER_STATUSES = new Set([400, 404, 413, 429]);
const MAX_MESSAGE_CHARS = 500;

/** Only for the log: the caller went away, nothing is sent (nginx's "client closed request"). */
export class CallerGoneError extends GatewayError {
  constructor() {
    super('upstream_error', 499, 'the caller closed the connection');
  }
}

export interface StackErrorContext {
  chatUrl: string;
  timeoutMs: number;
  /** Set when a 401 arrived although a freshly fetched token was used. */
  retriedWithFreshToken?: boolean;
}

/**
 * Maps an error answer of the stack server. Statuses that speak about the caller's request pass
 * through; everything else means our side is misconfigured or the server is unwell (502/503/504).
 * The upstream's own message is always included.
 */
export function stackStatusError(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
  ctx: StackErrorContext,
): GatewayError {
  const said = `stack server answered ${status}: ${upstreamMessage(bodyText)}`;
  const detail = { status, url: displayUrl(ctx.chatUrl) };

  if (status === 401) {
    const retried = ctx.retriedWithFreshToken ? ' even with a freshly fetched token' : '';
    return new UpstreamError(
      `${said} — the stack server rejected our access token${retried}; check that its auth ` +
        'settings (issuer, audience, JWKS URL) match the identity provider',
      502,
      { detail },
    );
  }
  if (status === 404 && /^not found$/i.test(upstreamMessage(bodyText))) {
    const hint = 'check LLS_CHAT_ENDPOINT and LLS_BASE_URL';
    return new UpstreamError(`${said} — ${hint}`, 502, { detail });
  }
  if (status === 422) return new UpstreamError(said, 400, { detail });
  if (CALLER_STATUSES.has(status)) {
    const retryAfter = headerValue(headers['retry-after']);
    const extra = status === 429 && retryAfter ? { 'retry-after': retryAfter } : undefined;
    return new UpstreamError(said, status, { detail, headers: extra });
  }
  if (status === 503) return new UpstreamUnavailableError(said, { detail });
  if (status === 504) return new UpstreamTimeoutError(said, { detail });
  return new UpstreamError(said, 502, { detail });
}

/** No answer from the stack server: 503 unreachable, 504 too slow. */
export function stackTransportError(
  failure: TransportFailure,
  ctx: StackErrorContext,
): GatewayError {
  if (failure.kind === 'aborted') return new CallerGoneError();
  const where = displayUrl(ctx.chatUrl);
  if (failure.kind === 'timeout') {
    return new UpstreamTimeoutError(
      `stack server at ${where} did not answer within ${secondsText(ctx.timeoutMs)}`,
      { detail: failure },
    );
  }
  return new UpstreamUnavailableError(
    `stack server at ${where} is not reachable (${failure.reason}) — ` +
      'is it running? check LLS_BASE_URL',
    { detail: failure },
  );
}

/**
 * The stack server stopped sending an answer it had begun: the caller left (only logged), it
 * stalled past the timeout (504), or the connection broke (502). It was reachable, so this is
 * not reported as "not reachable".
 */
export function stackBodyError(failure: TransportFailure, ctx: StackErrorContext): GatewayError {
  if (failure.kind === 'aborted') return new CallerGoneError();
  if (failure.kind === 'timeout') {
    return new UpstreamTimeoutError(
      `stack server stopped sending its answer for ${secondsText(ctx.timeoutMs)}`,
      { detail: failure },
    );
  }
  return new UpstreamError(
    `stack server closed the connection before its answer was complete (${failure.reason})`,
    502,
    { detail: failure },
  );
}

/** A bearer token or JWT in an upstream's text (one that echoes requests, say). */
const CREDENTIAL = /(Bearer(\s+|%20|\+))?eyJ[\w-]*\.[\w-]*\.[\w-]*/gi;

/**
 * The human part of an error body in any of Llama Stack's and OpenAI's shapes, or its text; a
 * token in it is masked, since the text reaches callers and the log.
 */
export function upstreamMessage(text: string): string {
  let message: string | undefined;
  try {
    message = messageFromJson(JSON.parse(text));
  } catch {
    message = undefined;
  }
  const raw = (message ?? text).trim().replace(/\s+/g, ' ').replace(CREDENTIAL, '[token]');
  if (raw === '') return 'empty body';
  return raw.length > MAX_MESSAGE_CHARS ? `${raw.slice(0, MAX_MESSAGE_CHARS)}…` : raw;
}

function messageFromJson(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const j = json as Record<string, unknown>;
  const error = j.error as Record<string, unknown> | string | undefined;
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') {
    if (typeof error.message === 'string') return error.message;
    if (error.detail !== undefined) return asText(error.detail);
  }
  if (j.detail !== undefined) return asText(j.detail);
  if (typeof j.message === 'string') return j.message;
  return undefined;
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
