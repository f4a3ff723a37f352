import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { ConfigError } from '../errors/errors.js';

/** The identity service could not be asked (network, TLS, timeout, oversized or 5xx answer). */
export class ServiceUnreachableError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ServiceUnreachableError';
  }
}

export interface ServiceCall {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Answers larger than this are treated as unreachable (a key set or profile is small). */
  maxBytes?: number;
  dispatcher?: Dispatcher;
}

export interface ServiceReply {
  status: number;
  text: string;
}

/**
 * One HTTP exchange with an identity service. Redirects are not followed: an IdP that redirects
 * its key set URL is misconfigured, and following it would let a redirect pick our key source.
 */
export async function callService(url: string, call: ServiceCall): Promise<ServiceReply> {
  const signal = AbortSignal.timeout(call.timeoutMs);
  const limit = call.maxBytes ?? 1024 * 1024;
  try {
    const res = await request(url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      signal,
      dispatcher: call.dispatcher,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.body.destroy();
        throw new ServiceUnreachableError(`answer larger than ${limit} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return { status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') };
  } catch (err) {
    if (err instanceof ServiceUnreachableError) throw err;
    throw new ServiceUnreachableError(describeNetworkError(err, call.timeoutMs));
  }
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const code = e.code ?? e.cause?.code;
  return code ? `connection failed (${code})` : `connection failed (${e.message ?? 'unknown'})`;
}

/**
 * Dispatcher honouring `verify_tls` / `tls_cafile`. An unreadable CA file is a start-up error:
 * silently falling back to the system store would hide the misconfiguration.
 */
export function createTlsDispatcher(verifyTls: boolean, caFile?: string | null): Dispatcher {
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (cause) {
      throw new ConfigError(`server.auth.provider_config.tls_cafile: cannot read ${caFile}`, {
        cause,
      });
    }
  }
  return new Agent({ connect: { ca, rejectUnauthorized: verifyTls } });
}
