import { z } from 'zod';

const kvstoreSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('sqlite'),
    db_path: z.string(),
    namespace: z.string().nullish(),
  }),
  z.object({
    type: z.literal('redis'),
    url: z.string().default('redis://127.0.0.1:6379'),
    namespace: z.string().nullish(),
  }),
]);

/** `server.quota`: Llama Stack's fields plus per-period token budgets and more periods. */
export const quotaConfigSchema = z.object({
  kvstore: kvstoreSchema,
  anonymous_max_requests: z.number().int().min(0).default(100),
  authenticated_max_requests: z.number().int().min(0).default(1000),
  period: z.enum(['minute', 'hour', 'day']).default('day'),
  max_tokens_per_period: z.number().int().positive().nullish(),
});

export type QuotaConfig = z.infer<typeof quotaConfigSchema>;
