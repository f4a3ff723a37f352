/**
 * Gateway request shapes -> node-llama-cpp options: chat history, sampling and grammars.
 */
import type {
  ChatHistoryItem,
  LLamaContextualRepeatPenalty,
  Llama,
  LlamaGrammar,
} from 'node-llama-cpp';
import { InvalidRequestError } from '../../errors/errors.js';
import type { ChatRequest, ResponseFormat, SamplingOptions } from '../../inference/types.js';
import { toGrammarSchema } from './json-schema.js';
import { toolAwareHistory } from './tools.js';

/** Sampling defaults where the request says nothing; the same as llama.cpp's own server. */
export const DEFAULT_TEMPERATURE = 0.8;
export const DEFAULT_TOP_K = 40;
export const DEFAULT_TOP_P = 0.95;

/** Rejects what the embedded engine cannot honour, before any slot is taken. */
export function checkChatSupported(req: ChatRequest): void {
  if (req.messages.some((m) => m.images?.length)) {
    throw new InvalidRequestError(
      'images are not supported by inline::llama-cpp; send text-only messages',
      'messages',
    );
  }
  if (req.messages.length === 0) {
    throw new InvalidRequestError('messages must contain at least one message', 'messages');
  }
}

/** The request's messages as a node-llama-cpp history ending in an empty model turn to fill. */
export function toChatHistory(req: ChatRequest): ChatHistoryItem[] {
  const history = toolAwareHistory(req.messages);
  history.push({ type: 'model', response: [] });
  return history;
}

export interface GenerationSampling {
  temperature: number;
  topK: number;
  topP: number;
  seed?: number;
  repeatPenalty: false | LLamaContextualRepeatPenalty;
  customStopTriggers?: string[];
}

/** Maps gateway sampling options to node-llama-cpp's (maxTokens is decided by the caller). */
export function toSampling(s: SamplingOptions): GenerationSampling {
  const penalised =
    s.repeatPenalty !== undefined ||
    s.frequencyPenalty !== undefined ||
    s.presencePenalty !== undefined;
  const stops = s.stop?.filter((x) => x.length > 0);
  return {
    temperature: s.temperature ?? DEFAULT_TEMPERATURE,
    topK: s.topK ?? DEFAULT_TOP_K,
    topP: s.topP ?? DEFAULT_TOP_P,
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
    repeatPenalty: penalised
      ? {
          penalty: s.repeatPenalty ?? 1,
          ...(s.frequencyPenalty !== undefined ? { frequencyPenalty: s.frequencyPenalty } : {}),
          ...(s.presencePenalty !== undefined ? { presencePenalty: s.presencePenalty } : {}),
        }
      : false,
    ...(stops?.length ? { customStopTriggers: stops } : {}),
  };
}

/** A grammar constraining output to JSON (or to a JSON schema); undefined for free text. */
export async function toGrammar(
  llama: Llama,
  format: ResponseFormat | undefined,
): Promise<LlamaGrammar | undefined> {
  if (!format) return undefined;
  if (format.type === 'json') return llama.getGrammarFor('json');
  const schema = toGrammarSchema(format.schema);
  try {
    return await llama.createGrammarForJsonSchema(schema as never);
  } catch (err) {
    throw new InvalidRequestError(
      'response_format json_schema cannot be enforced by inline::llama-cpp: ' +
        `${(err as Error).message}. ` +
        'Simplify the schema (objects, arrays, strings, numbers, booleans, enums, const).',
      'response_format',
      { cause: err },
    );
  }
}
