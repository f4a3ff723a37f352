import { request, type Dispatcher } from 'undici';
import type { GatewayError } from '../errors/errors.js';
import type { Logger } from '../logging/logger.js';
import { classifyTransportError, type TransportFailure } from './net-errors.js';
import { readBodyText } from './read-body.js';
import type { ClientSettings } from './settings.js';
import {
  stackBodyError,
  stackStatusError,
  stackTransportError,
  type StackErrorContext,
} from './stack-errors.js';
import type { TokenProvider } from './token-provider.js';

export type StackSettings = Pick<
  ClientSettings,
  'llsBaseUrl' | 'chatEndpoint' | 'upstreamTimeoutMs'
>;

export interface ChatCallOptions {
  stream: boolean;
  /** Aborted when the caller disconnects; the upstream request is cancelled with it. */
  signal: AbortSignal;
  requestId: string;
}

/** Error bodies are read only to quote their message. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Sends chat requests to the stack server with a bearer token. A 401 is answered once with a
 * fresh token, because the cached one may have been revoked or signed with a rotated key.
 */
export class StackClient {
  readonly chatUrl: string;
  private readonly settings: StackSettings;
  private readonly tokens: TokenProvider;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly log: Logger;

  constructor(
    settings: StackSettings,
    tokens: TokenProvider,
    deps: { dispatcher?: Dispatcher; log: Logger },
  ) {
    this.settings = settings;
    this.tokens = tokens;
    this.dispatcher = deps.dispatcher;
    this.log = deps.log;
    this.chatUrl = settings.llsBaseUrl + settings.chatEndpoint;
  }

  /** Resolves with a 2xx answer whose body the caller consumes; throws GatewayError otherwise. */
  async chat(
    body: Record<string, unknown>,
    options: ChatCallOptions,
  ): Promise<Dispatcher.ResponseData> {
    const ctx = this.context();
    const payload = JSON.stringify(body);

    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.getToken();
      const res = await this.send(payload, token, options, ctx);
      if (res.statusCode >= 200 && res.statusCode <= 299) return res;

      const { text } = await this.readError(res, ctx);
      if (res.statusCode === 401 && attempt === 1) {
        this.log.info(
          { reqId: options.requestId },
          'stack server rejected the access token; retrying once with a fresh one',
        );
        this.tokens.invalidate(token);
        continue;
      }
      throw stackStatusError(res.statusCode, res.headers, text, {
        ...ctx,
        retriedWithFreshToken: attempt > 1,
      });
    }
  }

  private async send(
    payload: string,
    token: string,
    options: ChatCallOptions,
    ctx: StackErrorContext,
  ): Promise<Dispatcher.ResponseData> {
    try {
      return await request(this.chatUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: options.stream ? 'text/event-stream, application/json' : 'application/json',
          'x-request-id': options.requestId,
        },
        body: payload,
        signal: options.signal,
        headersTimeout: this.settings.upstreamTimeoutMs,
        bodyTimeout: this.settings.upstreamTimeoutMs,
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      throw this.transportError(err, options.signal, ctx);
    }
  }

  private async readError(
    res: Dispatcher.ResponseData,
    ctx: StackErrorContext,
  ): Promise<{ text: string }> {
    try {
      return await readBodyText(res.body, MAX_ERROR_BODY_BYTES);
    } catch (err) {
      throw this.bodyError(err, undefined, ctx);
    }
  }

  /** A failure while reading an answer that had begun; also used by the route. */
  bodyError(err: unknown, signal: AbortSignal | undefined, ctx = this.context()): GatewayError {
    return stackBodyError(this.failure(err, signal), ctx);
  }

  /** No answer arrived. */
  private transportError(
    err: unknown,
    signal: AbortSignal | undefined,
    ctx = this.context(),
  ): GatewayError {
    return stackTransportError(this.failure(err, signal), ctx);
  }

  private failure(err: unknown, signal: AbortSignal | undefined): TransportFailure {
    return signal?.aborted
      ? { kind: 'aborted', reason: 'the caller closed the connection' }
      : classifyTransportError(err);
  }

  private context(): StackErrorContext {
    return { chatUrl: this.chatUrl, timeoutMs: this.settings.upstreamTimeoutMs };
  }
}
