import { z } from 'zod';
import { authConfigSchema } from '../auth/config.js';
import { quotaConfigSchema } from '../quota/config.js';

/**
 * run.yaml as Llama Stack 0.2.x reads it. Unknown keys are dropped at every level, as upstream
 * does, so files written for newer or older Llama Stack versions still load. Provider `config`
 * blocks are validated separately against each provider's own schema (see `load.ts`).
 */
export const providerEntrySchema = z.object({
  provider_id: z.string().min(1),
  provider_type: z.string().min(1),
  config: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((c) => c ?? {}),
});

export const modelEntrySchema = z.object({
  model_id: z.string().min(1),
  provider_id: z.string().nullish(),
  provider_model_id: z.string().nullish(),
  model_type: z.enum(['llm', 'embedding']).default('llm'),
  metadata: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((m) => m ?? {}),
});

const corsSchema = z.object({
  allow_origins: z.array(z.string()).default([]),
  allow_origin_regex: z.string().nullish(),
  allow_methods: z.array(z.string()).default(['OPTIONS']),
  allow_headers: z.array(z.string()).default([]),
  allow_credentials: z.boolean().default(false),
  expose_headers: z.array(z.string()).default([]),
  max_age: z.number().int().min(0).default(600),
});

export const serverSchema = z.object({
  port: z.number().int().min(1024).max(65535).default(8321),
  host: z.string().nullish(),
  tls_certfile: z.string().nullish(),
  tls_keyfile: z.string().nullish(),
  tls_cafile: z.string().nullish(),
  auth: authConfigSchema.nullish(),
  quota: quotaConfigSchema.nullish(),
  cors: z.union([z.literal(true), corsSchema]).nullish(),
  /**
   * Seconds a streamed answer may wait for a client that reads nothing before the connection is
   * closed; otherwise clients that stop reading would each hold an upstream connection forever.
   */
  send_timeout: z.number().positive().max(86_400).default(60),
  /**
   * Seconds a client may take to send its whole request (headers and body); otherwise a client
   * trickling bytes would hold a connection for ever.
   */
  request_timeout: z.number().positive().max(3_600).default(60),
  /** Largest accepted request body; inference bodies with images can be large. */
  max_body_bytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
});

export const runConfigSchema = z.object({
  version: z.union([z.number(), z.string()]).default(2),
  image_name: z.string().nullish(),
  distro_name: z.string().nullish(),
  apis: z.array(z.string()).default([]),
  providers: z.record(z.string(), z.array(providerEntrySchema)),
  models: z.array(modelEntrySchema).default([]),
  // prefault: an absent section is parsed as `{}`, so its fields get their own defaults.
  server: serverSchema.prefault({}),
});

export type RunConfig = z.infer<typeof runConfigSchema>;
export type ProviderEntry = z.infer<typeof providerEntrySchema>;
export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export type CorsConfig = z.infer<typeof corsSchema>;
