import { InvalidRequestError } from '../../errors/errors.js';
import type {
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  ResponseFormat,
  SamplingOptions,
  ToolDefinition,
} from '../../inference/types.js';

/** Ollama's native request shapes (docs/api.md), only the fields the gateway sends. */
export interface OllamaMessage {
  role: string;
  content: string;
  images?: string[];
  tool_calls?: { id?: string; function: { name: string; arguments: Record<string, unknown> } }[];
  tool_name?: string;
  tool_call_id?: string;
}

type KeepAlive = string | number | undefined;

/**
 * Builds the `/api/chat` body. Throws InvalidRequestError for tool arguments that are not JSON
 * objects.
 */
export function toOllamaChat(
  req: ChatRequest,
  stream: boolean,
  defaultKeepAlive: KeepAlive,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: req.model,
    messages: toOllamaMessages(req.messages),
    stream,
  };
  const tools = selectTools(req);
  if (tools.length > 0) body.tools = tools.map(toOllamaTool);
  addCommon(body, req.sampling, req.responseFormat, req.keepAlive ?? defaultKeepAlive);
  return body;
}

/** Builds the `/api/generate` body; the model's own template applies (`raw: false`). */
export function toOllamaGenerate(
  req: CompletionRequest,
  stream: boolean,
  defaultKeepAlive: KeepAlive,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: req.model,
    prompt: req.prompt,
    raw: false,
    stream,
  };
  if (req.suffix !== undefined) body.suffix = req.suffix;
  addCommon(body, req.sampling, req.responseFormat, req.keepAlive ?? defaultKeepAlive);
  return body;
}

/**
 * Maps sampling options to Ollama `options`; absent values stay absent so Modelfile defaults
 * apply.
 */
export function toOllamaOptions(s: SamplingOptions): Record<string, unknown> | undefined {
  const options: Record<string, unknown> = {};
  if (s.temperature !== undefined) options.temperature = s.temperature;
  if (s.topP !== undefined) options.top_p = s.topP;
  if (s.topK !== undefined) options.top_k = s.topK;
  if (s.maxTokens !== undefined) options.num_predict = s.maxTokens;
  if (s.stop !== undefined && s.stop.length > 0) options.stop = s.stop;
  if (s.seed !== undefined) options.seed = s.seed;
  if (s.repeatPenalty !== undefined) options.repeat_penalty = s.repeatPenalty;
  if (s.frequencyPenalty !== undefined) options.frequency_penalty = s.frequencyPenalty;
  if (s.presencePenalty !== undefined) options.presence_penalty = s.presencePenalty;
  return Object.keys(options).length > 0 ? options : undefined;
}

function addCommon(
  body: Record<string, unknown>,
  sampling: SamplingOptions,
  format: ResponseFormat | undefined,
  keepAlive: KeepAlive,
): void {
  const options = toOllamaOptions(sampling);
  if (options) body.options = options;
  if (format) body.format = format.type === 'json' ? 'json' : format.schema;
  if (keepAlive !== undefined) body.keep_alive = keepAlive;
}

/**
 * Ollama has no `tool_choice`: `none` sends no tools, a named tool sends only that one.
 * TODO(ollama): `required` cannot be enforced natively; the model may still answer in text.
 */
function selectTools(req: ChatRequest): ToolDefinition[] {
  const tools = req.tools ?? [];
  const choice = req.toolChoice;
  if (choice === 'none') return [];
  if (choice && typeof choice === 'object') return tools.filter((t) => t.name === choice.name);
  return tools;
}

function toOllamaTool(tool: ToolDefinition): Record<string, unknown> {
  const fn: Record<string, unknown> = { name: tool.name, parameters: tool.parameters };
  if (tool.description !== undefined) fn.description = tool.description;
  return { type: 'function', function: fn };
}

/** Translates history; tool results get `tool_name` from the call they answer when not given. */
export function toOllamaMessages(messages: readonly ChatMessage[]): OllamaMessage[] {
  const namesById = new Map<string, string>();
  return messages.map((m, index) => {
    const out: OllamaMessage = { role: m.role, content: m.content };
    if (m.images && m.images.length > 0) out.images = m.images;
    if (m.toolCalls && m.toolCalls.length > 0) {
      out.tool_calls = m.toolCalls.map((call, j) => {
        namesById.set(call.id, call.name);
        return {
          id: call.id,
          function: { name: call.name, arguments: parseArguments(call.arguments, index, j) },
        };
      });
    }
    if (m.role === 'tool') {
      const name = m.toolName ?? (m.toolCallId ? namesById.get(m.toolCallId) : undefined);
      if (name !== undefined) out.tool_name = name;
      if (m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
    }
    return out;
  });
}

/** Ollama wants arguments as an object, OpenAI carries them as JSON text. */
function parseArguments(text: string, index: number, j: number): Record<string, unknown> {
  if (text.trim() === '') return {};
  const param = `messages[${index}].tool_calls[${j}].function.arguments`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidRequestError(
      `${param} (message ${index}) is not valid JSON; send the tool arguments as a ` +
        `JSON-encoded object, e.g. "{\\"city\\":\\"Lyon\\"}".`,
      param,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidRequestError(
      `${param} (message ${index}) must encode a JSON object, e.g. "{\\"city\\":\\"Lyon\\"}".`,
      param,
    );
  }
  return parsed as Record<string, unknown>;
}
