import type { LlamaEmbeddingContext, LlamaModel, Token } from 'node-llama-cpp';
import { InvalidRequestError } from '../../errors/errors.js';
import type { EmbedRequest, EmbedResult } from '../../inference/types.js';

/** Tokenizes every input up front, so an over-long one fails before any slot is taken. */
export function tokenizeInputs(
  model: LlamaModel,
  req: EmbedRequest,
  contextSize: number,
): Token[][] {
  if (req.input.length === 0) {
    throw new InvalidRequestError('input must contain at least one string', 'input');
  }
  const size = model.embeddingVectorSize;
  if (req.dimensions !== undefined && req.dimensions !== size) {
    throw new InvalidRequestError(
      `dimensions=${req.dimensions} is not available: ` +
        `this model produces ${size}-dimensional embeddings`,
      'dimensions',
    );
  }
  return req.input.map((text, i) => {
    const tokens = model.tokenize(text);
    if (tokens.length === 0) {
      throw new InvalidRequestError(`input[${i}] is empty; every input needs some text`, 'input');
    }
    if (tokens.length <= contextSize) return tokens;
    if (req.truncate === false) {
      throw new InvalidRequestError(
        `input[${i}] is ${tokens.length} tokens, more than the context of ${contextSize}; ` +
          'shorten it or allow truncation',
        'input',
      );
    }
    return tokens.slice(0, contextSize);
  });
}

function normalise(vector: readonly number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm > 0 ? vector.map((x) => x / norm) : [...vector];
}

/**
 * Embeds pre-tokenized inputs one after another (an embedding context has one sequence).
 * Vectors are L2-normalised, as Ollama and OpenAI return them. Stops early when `signal` aborts.
 */
export async function embedTokens(
  context: LlamaEmbeddingContext,
  inputs: Token[][],
  signal: AbortSignal,
): Promise<EmbedResult | undefined> {
  const embeddings: number[][] = [];
  let promptTokens = 0;
  for (const tokens of inputs) {
    if (signal.aborted) return undefined;
    const embedding = await context.getEmbeddingFor(tokens);
    embeddings.push(normalise(embedding.vector));
    promptTokens += tokens.length;
  }
  return { embeddings, promptTokens };
}
