import { z } from 'zod';

/** Largest context created unless `context_size` asks for more (capped by the model's own). */
export const DEFAULT_CONTEXT_SIZE = 4096;
export const DEFAULT_MAX_PARALLEL = 2;
export const DEFAULT_MAX_QUEUE = 32;

const positiveInt = z.number().int().positive();

/**
 * `providers.inference[].config` for `inline::llama-cpp`: a GGUF model run inside the gateway
 * process. The model comes from `model_path` or from a local Ollama store (`ollama_model`);
 * exactly one of them must be set. Unknown keys are ignored.
 */
export const llamaCppConfigSchema = z
  .object({
    model_path: z.string().min(1).nullish(),
    ollama_model: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)?(:[A-Za-z0-9._-]+)?$/, {
        message: "must look like 'name', 'name:tag' or 'namespace/name:tag', e.g. llama3.2:3b",
      })
      .nullish(),
    /** Ollama's model store; default `OLLAMA_MODELS`, then `~/.ollama/models`. */
    models_dir: z.string().min(1).nullish(),
    context_size: positiveInt.min(64).nullish(),
    threads: positiveInt.nullish(),
    gpu: z.union([z.boolean(), z.literal('auto')]).default(false),
    gpu_layers: z.union([z.number().int().min(0), z.literal('auto'), z.literal('max')]).nullish(),
    max_parallel: positiveInt.max(64).default(DEFAULT_MAX_PARALLEL),
    max_queue: z.number().int().min(0).default(DEFAULT_MAX_QUEUE),
    embedding: z.boolean().nullish(),
    /** Reply budget for requests that set no max_tokens (default: the rest of the context). */
    max_tokens: positiveInt.nullish(),
  })
  .superRefine((c, ctx) => {
    if (!c.model_path === !c.ollama_model) {
      ctx.addIssue({
        code: 'custom',
        path: c.model_path ? ['ollama_model'] : ['model_path'],
        message:
          'set exactly one of model_path (a .gguf file) or ollama_model (e.g. llama3.2:3b, ' +
          'read from the local Ollama store)',
      });
    }
    if (c.gpu === false && typeof c.gpu_layers === 'number' && c.gpu_layers > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['gpu_layers'],
        message: 'gpu_layers > 0 needs gpu: true or gpu: auto',
      });
    }
  });

export type LlamaCppConfig = z.infer<typeof llamaCppConfigSchema>;
