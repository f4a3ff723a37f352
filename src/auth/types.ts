/**
 * The seams between the HTTP pipeline and identity. The server calls, in order: the
 * authenticator (who is this?), the quota limiter (may they make another request?), then routes
 * consult the access policy (may they touch this model?).
 */
export interface Principal {
  /** Stable principal name (`sub` by default) used by policies and as the quota key. */
  id: string;
  /** Attributes from `claims_mapping`: roles, teams, projects, namespaces, ... */
  attributes: Record<string, string[]>;
  /** Seconds since epoch at which the credential stops being valid, when known. */
  expiresAt?: number;
}

export interface RequestInfo {
  method: string;
  /** The raw request target (path and query) as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  ip: string;
}

export interface Authenticator {
  /** Fetches keys etc. A failure here is logged, not fatal: requests answer 503 until it works. */
  start(): Promise<void>;
  /** Routes that skip authentication (checked on the normalised path). */
  isPublic(req: RequestInfo): boolean;
  /**
   * Resolves the caller or throws AuthenticationError (401) / AuthServiceUnavailableError
   * (503).
   */
  authenticate(req: RequestInfo): Promise<Principal>;
  close(): Promise<void>;
}

export type Action = 'create' | 'read' | 'update' | 'delete';

export interface ProtectedResource {
  type: 'model';
  id: string;
  owner?: Principal;
}

export interface AccessPolicy {
  /** No principal (auth disabled) means allowed, as in Llama Stack. */
  isAllowed(user: Principal | undefined, action: Action, resource: ProtectedResource): boolean;
}

export interface QuotaLimiter {
  /** Counts one request; throws RateLimitError (429) when over the limit. */
  consumeRequest(principal: Principal | undefined, clientIp: string): Promise<void>;
  /** Throws RateLimitError when the token budget of the period is already spent. */
  checkTokens(principal: Principal | undefined, clientIp: string): Promise<void>;
  /** Charges real usage after (or during) a generation. Never throws. */
  chargeTokens(principal: Principal | undefined, clientIp: string, tokens: number): Promise<void>;
  close(): Promise<void>;
}
