import { InvalidRequestError, ModelNotFoundError } from '../errors/errors.js';
import type { Principal } from '../auth/types.js';

export type ModelType = 'llm' | 'embedding';

export interface ModelRecord {
  /** The name clients use (`model_id` / `model`). */
  identifier: string;
  providerResourceId: string;
  providerId: string;
  modelType: ModelType;
  metadata: Record<string, unknown>;
  source: 'run_config' | 'via_register_api' | 'listed_from_provider';
  owner?: Principal;
  /** Seconds since epoch; OpenAI's `created`. */
  created: number;
}

/**
 * Llama Stack 0.2.16+ naming: a model whose `model_id` equals its `provider_model_id` is stored as
 * `<provider_id>/<provider_model_id>`; otherwise under `model_id`.
 */
export function modelIdentifier(
  modelId: string,
  providerId: string,
  providerModelId: string,
): string {
  return modelId === providerModelId ? `${providerId}/${providerModelId}` : modelId;
}

/** In-memory model registry with Llama Stack's lookup rules. */
export class ModelRegistry {
  private readonly byIdentifier = new Map<string, ModelRecord>();

  add(record: ModelRecord): void {
    this.byIdentifier.set(record.identifier, record);
  }

  remove(identifier: string): boolean {
    return this.byIdentifier.delete(identifier);
  }

  list(): ModelRecord[] {
    return [...this.byIdentifier.values()];
  }

  has(identifier: string): boolean {
    return this.byIdentifier.has(identifier);
  }

  /**
   * Exact identifier first, then the provider's own model name, so the tutorial's
   * `llama3.2:3b` finds `ollama/llama3.2:3b`. Aliases registered for the same provider model do
   * not make that name ambiguous (it resolves to `<provider>/<name>` when registered, else to the
   * first registered); a name served by several providers is a 400, as upstream.
   */
  resolve(name: string): ModelRecord {
    const exact = this.byIdentifier.get(name);
    if (exact) return exact;

    const matches = this.list().filter((m) => m.providerResourceId === name);
    const first = matches[0];
    if (first && matches.every((m) => m.providerId === first.providerId)) {
      return matches.find((m) => m.identifier === `${first.providerId}/${name}`) ?? first;
    }
    if (matches.length > 1) {
      const ids = matches.map((m) => m.identifier).join(', ');
      throw new InvalidRequestError(
        `Model name '${name}' is served by several providers (${ids}); ` +
          'use one of these identifiers.',
        'model',
      );
    }
    throw new ModelNotFoundError(name);
  }
}
