import { z } from 'zod';
import { httpUrlSchema, upstreamTimeoutsShape } from '../shared/config.js';

export const DEFAULT_OLLAMA_URL = 'http://localhost:11434';

/**
 * `providers.inference[].config` for `remote::ollama`. Accepts the tutorial's `url` and the later
 * Llama Stack spelling `base_url` (which points at Ollama's `/v1` layer; the suffix is dropped
 * because the gateway speaks the native `/api/*` protocol). Unknown keys are ignored.
 */
export const ollamaConfigSchema = z
  .object({
    url: httpUrlSchema.nullish(),
    base_url: httpUrlSchema.nullish(),
    keep_alive: z.union([z.string(), z.number()]).nullish(),
    // TODO(ollama): accepted for run.yaml compatibility only; models are listed once at start-up,
    // not re-listed every 300 s as Llama Stack does when this is true.
    refresh_models: z.boolean().default(false),
    ...upstreamTimeoutsShape,
  })
  .transform(({ url, base_url, ...rest }) => ({
    ...rest,
    keep_alive: rest.keep_alive ?? undefined,
    url: normaliseOllamaUrl(url ?? base_url ?? DEFAULT_OLLAMA_URL),
  }));

export type OllamaConfig = z.infer<typeof ollamaConfigSchema>;

/**
 * Drops trailing slashes and an OpenAI-layer `/v1` suffix:
 * `http://h:11434/v1/` -> `http://h:11434`.
 */
export function normaliseOllamaUrl(raw: string): string {
  return raw.replace(/\/+$/, '').replace(/\/v1$/, '');
}
