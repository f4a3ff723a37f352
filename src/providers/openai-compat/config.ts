import { z } from 'zod';
import { httpUrlSchema, upstreamTimeoutsShape } from '../shared/config.js';

export const DEFAULT_OPENAI_URL = 'https://api.openai.com/v1';
export const DEFAULT_VLLM_URL = 'http://localhost:8000/v1';

const baseShape = {
  url: httpUrlSchema.nullish(),
  base_url: httpUrlSchema.nullish(),
  api_key: z.string().nullish(),
  ...upstreamTimeoutsShape,
};

/** What both OpenAI-compatible providers run on once validated. */
export interface OpenAICompatConfig {
  /** Base URL including the API prefix (usually `/v1`), without a trailing slash. */
  url: string;
  /** Sent as `Authorization: Bearer`; absent or empty -> no Authorization header. */
  api_key: string | undefined;
  /** Applied when a request sets no max tokens (vLLM's `max_tokens` config). */
  max_tokens: number | undefined;
  first_byte_timeout: number;
  idle_timeout: number;
  connect_timeout: number;
  max_connections: number;
}

function resolve(
  input: z.infer<z.ZodObject<typeof baseShape>> & {
    api_token?: string | null;
    max_tokens?: number | null;
  },
  fallbackUrl: string,
): OpenAICompatConfig {
  const { url, base_url, api_key, api_token, max_tokens, ...timeouts } = input;
  return {
    ...timeouts,
    url: (url ?? base_url ?? fallbackUrl).replace(/\/+$/, ''),
    api_key: api_key || api_token || undefined,
    max_tokens: max_tokens ?? undefined,
  };
}

/** `remote::openai`: api.openai.com or any server speaking its API. Unknown keys are ignored. */
export const openaiConfigSchema = z
  .object(baseShape)
  .transform((c) => resolve(c, DEFAULT_OPENAI_URL));

/**
 * `remote::vllm`: Llama Stack spells the key `api_token` (often the placeholder `fake`) and lets a
 * default `max_tokens` apply to requests that set none.
 */
export const vllmConfigSchema = z
  .object({
    ...baseShape,
    api_token: z.string().nullish(),
    max_tokens: z.number().int().positive().nullish(),
  })
  .transform((c) => resolve(c, DEFAULT_VLLM_URL));
