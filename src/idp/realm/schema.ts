import { z } from 'zod';

/**
 * The subset of Keycloak's realm-export JSON that the embedded IdP understands. Every object is
 * loose: a full export from a real Keycloak carries dozens of other fields, which are accepted
 * and ignored, so the same file can be imported into Keycloak (`kc.sh import --file`) and served
 * here.
 */

/** Keycloak stores most attribute and mapper-config values as strings ("true", "300"). */
const stringish = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

const compositesSchema = z.looseObject({
  realm: z.array(z.string()).optional(),
  client: z.record(z.string(), z.array(z.string())).optional(),
});

const roleSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  composite: z.boolean().optional(),
  composites: compositesSchema.optional(),
});

const protocolMapperSchema = z.looseObject({
  name: z.string().optional(),
  protocol: z.string().optional(),
  protocolMapper: z.string().min(1),
  config: z.record(z.string(), stringish).optional(),
});

const clientSchema = z.looseObject({
  clientId: z.string().min(1),
  enabled: z.boolean().default(true),
  secret: z.string().min(1).optional(),
  publicClient: z.boolean().default(false),
  bearerOnly: z.boolean().default(false),
  serviceAccountsEnabled: z.boolean().default(false),
  directAccessGrantsEnabled: z.boolean().default(false),
  standardFlowEnabled: z.boolean().default(true),
  redirectUris: z.array(z.string()).default([]),
  attributes: z.record(z.string(), stringish).default({}),
  protocolMappers: z.array(protocolMapperSchema).default([]),
});

const credentialSchema = z.looseObject({
  type: z.string().default('password'),
  value: z.string().optional(),
  temporary: z.boolean().default(false),
});

export const userSchema = z.looseObject({
  id: z.string().min(1).optional(),
  username: z.string().min(1),
  enabled: z.boolean().default(true),
  email: z.string().optional(),
  emailVerified: z.boolean().default(false),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  credentials: z.array(credentialSchema).default([]),
  requiredActions: z.array(z.string()).default([]),
  realmRoles: z.array(z.string()).default([]),
  clientRoles: z.record(z.string(), z.array(z.string())).default({}),
  serviceAccountClientId: z.string().optional(),
});

export const realmExportSchema = z.looseObject({
  realm: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9._-]+$/, 'realm names used in URLs must be letters, digits, ".", "_", "-"'),
  enabled: z.boolean().default(true),
  accessTokenLifespan: z.number().int().positive().default(300),
  ssoSessionIdleTimeout: z.number().int().positive().default(1800),
  ssoSessionMaxLifespan: z.number().int().positive().default(36000),
  roles: z
    .looseObject({
      realm: z.array(roleSchema).default([]),
      client: z.record(z.string(), z.array(roleSchema)).default({}),
    })
    .default({ realm: [], client: {} }),
  clients: z.array(clientSchema).default([]),
  users: z.array(userSchema).default([]),
});

export type RealmExport = z.infer<typeof realmExportSchema>;
export type ClientExport = z.infer<typeof clientSchema>;
export type UserExport = z.infer<typeof userSchema>;
export type RoleExport = z.infer<typeof roleSchema>;
