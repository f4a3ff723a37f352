import { z } from 'zod';

/**
 * `server.auth` of run.yaml: Llama Stack's `provider_config` shapes plus our optional, safe-by-
 * default additions. Validated at start-up; the authenticator never re-checks options per request.
 */
const jwksSchema = z.object({
  uri: z.string().url(),
  key_recheck_period: z.number().int().positive().default(3600),
  /** Sent as a bearer token when fetching the key set (Kubernetes-style JWKS endpoints). */
  token: z.string().optional(),
  /** Our addition: give up on a key-set fetch after this long (default 5). */
  timeout_seconds: z.number().positive().max(60).optional(),
  /**
   * Our addition: at most one fetch triggered by an unknown `kid` per this many seconds (default
   * 10), so made-up key ids cannot turn the gateway into a request amplifier against the IdP.
   */
  refetch_cooldown_seconds: z.number().positive().max(3600).optional(),
});

const introspectionSchema = z.object({
  url: z.string().url(),
  client_id: z.string(),
  client_secret: z.string(),
  send_secret_in_body: z.boolean().default(false),
});

export const DEFAULT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export const DEFAULT_CLAIMS_MAPPING: Record<string, string> = {
  sub: 'roles',
  username: 'roles',
  groups: 'teams',
  team: 'teams',
  project: 'projects',
  tenant: 'namespaces',
  namespace: 'namespaces',
};

export const DEFAULT_PUBLIC_ROUTES = ['/v1/health', '/v1/version'];

const oauth2Schema = z.object({
  type: z.literal('oauth2_token'),
  jwks: jwksSchema.nullish(),
  introspection: introspectionSchema.nullish(),
  issuer: z.union([z.string(), z.array(z.string()).min(1)]).nullish(),
  audience: z.union([z.string(), z.array(z.string()).min(1)]).default('llama-stack'),
  claims_mapping: z.record(z.string(), z.string()).optional(),
  verify_tls: z.boolean().default(true),
  tls_cafile: z.string().nullish(),
  algorithms: z
    .array(z.enum(DEFAULT_ALGORITHMS))
    .min(1)
    .default([...DEFAULT_ALGORITHMS]),
  clock_skew_seconds: z.number().int().min(0).max(600).default(30),
  required_claims: z.array(z.string()).default([]),
  /** Our addition: bearer tokens longer than this are refused with 401 (default 16384 bytes). */
  max_token_bytes: z.number().int().min(512).max(1048576).optional(),
});

const customSchema = z.object({
  type: z.literal('custom'),
  endpoint: z.string().url(),
  claims_mapping: z.record(z.string(), z.string()).optional(),
});

const conditionSchema = z.union([z.string(), z.array(z.string())]);

export const accessRuleSchema = z
  .object({
    permit: z
      .object({
        principal: z.string().optional(),
        actions: z.union([z.string(), z.array(z.string())]).optional(),
        resource: z.string().optional(),
      })
      .optional(),
    forbid: z
      .object({
        principal: z.string().optional(),
        actions: z.union([z.string(), z.array(z.string())]).optional(),
        resource: z.string().optional(),
      })
      .optional(),
    when: conditionSchema.optional(),
    unless: conditionSchema.optional(),
    description: z.string().optional(),
  })
  .refine((r) => (r.permit === undefined) !== (r.forbid === undefined), {
    message: 'each access_policy rule needs exactly one of permit or forbid',
  })
  .refine((r) => r.when === undefined || r.unless === undefined, {
    message: 'an access_policy rule takes when or unless, not both',
  });

export const authConfigSchema = z.object({
  provider_config: z.discriminatedUnion('type', [oauth2Schema, customSchema]),
  access_policy: z.array(accessRuleSchema).default([]),
  public_routes: z.array(z.string()).default([...DEFAULT_PUBLIC_ROUTES]),
});

export type AuthConfig = z.infer<typeof authConfigSchema>;
export type OAuth2Config = z.infer<typeof oauth2Schema>;
export type AccessRule = z.infer<typeof accessRuleSchema>;
