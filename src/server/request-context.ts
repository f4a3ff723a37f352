import type { Principal } from '../auth/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook; undefined when auth is off or the route is public. */
    principal?: Principal;
    /** Aborted when the client goes away before the response finished. */
    abortSignal: AbortSignal;
    /** True once the client disconnected mid-response. */
    streamAborted: boolean;
    /** Error code of a failure that happened after a stream began (for the request log line). */
    streamError?: string;
    /** The message of the error answer, for the request log line (never holds credentials). */
    errorMessage?: string;
    /** Set once the request's log line was written, so no ending writes a second one. */
    logged?: boolean;
  }
}

export {};
