import type { ProviderModel } from '../../inference/types.js';

/** One entry of `GET /api/tags`. */
export interface OllamaTag {
  name: string;
  model?: string;
  details?: { family?: string; families?: string[] | null; embedding_length?: number };
}

/** Embedding sizes of the embedding models Llama Stack's Ollama provider knows by name. */
const KNOWN_EMBEDDING_DIMENSIONS: Record<string, number> = {
  'all-minilm': 384,
  'nomic-embed-text': 768,
};

/** `llama3.2` and `llama3.2:latest` name the same model; every other tag must match exactly. */
export function canonicalModelName(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

/** The local model a configured id refers to, honouring the implicit `:latest` tag. */
export function findTag(tags: readonly OllamaTag[], id: string): OllamaTag | undefined {
  const wanted = canonicalModelName(id);
  return tags.find((t) => canonicalModelName(t.name) === wanted);
}

/** BERT-family models (all-minilm, nomic-embed-text...) only embed; everything else chats. */
export function isEmbeddingTag(tag: OllamaTag): boolean {
  const families = [tag.details?.family ?? '', ...(tag.details?.families ?? [])];
  return families.some((f) => f.toLowerCase().includes('bert'));
}

/** Maps `/api/tags` entries to ProviderModels, with an embedding size when one is known. */
export function tagsToModels(tags: readonly OllamaTag[]): ProviderModel[] {
  return tags.map((tag) => {
    if (!isEmbeddingTag(tag)) return { providerModelId: tag.name, modelType: 'llm', metadata: {} };
    const base = tag.name.split(':')[0] ?? tag.name;
    const dimension = tag.details?.embedding_length ?? KNOWN_EMBEDDING_DIMENSIONS[base];
    return {
      providerModelId: tag.name,
      modelType: 'embedding',
      metadata: dimension ? { embedding_dimension: dimension } : {},
    };
  });
}

/** Validates the `/api/tags` body loosely: a `models` array of objects with a string `name`. */
export function parseTags(body: unknown): OllamaTag[] {
  const models = (body as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return [];
  return models.filter(
    (m): m is OllamaTag => !!m && typeof m === 'object' && typeof m.name === 'string',
  );
}
