import type {
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  ResponseFormat,
  SamplingOptions,
  ToolChoice,
} from '../../inference/types.js';

/** Which non-standard sampling fields the upstream accepts (vLLM does; OpenAI rejects them). */
export interface Dialect {
  extendedSampling: boolean;
  /** OpenAI's newer models only take `max_completion_tokens`; vLLM documents `max_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  defaultMaxTokens: number | undefined;
}

/** Builds the `/chat/completions` body. */
export function toOpenAIChat(req: ChatRequest, dialect: Dialect): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: req.model,
    messages: req.messages.map(toOpenAIMessage),
  };
  addSampling(body, req.sampling, dialect);
  if (req.tools && req.tools.length > 0) {
    body.tools = req.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== undefined ? { description: t.description } : {}),
        parameters: t.parameters,
      },
    }));
    if (req.toolChoice !== undefined) body.tool_choice = toToolChoice(req.toolChoice);
  }
  if (req.responseFormat) body.response_format = toResponseFormat(req.responseFormat);
  addStream(body, req.stream);
  return body;
}

/** Builds the `/completions` body. */
export function toOpenAICompletion(
  req: CompletionRequest,
  dialect: Dialect,
): Record<string, unknown> {
  const body: Record<string, unknown> = { model: req.model, prompt: req.prompt };
  if (req.suffix !== undefined) body.suffix = req.suffix;
  addSampling(body, req.sampling, dialect);
  if (req.responseFormat) body.response_format = toResponseFormat(req.responseFormat);
  addStream(body, req.stream);
  return body;
}

function addStream(body: Record<string, unknown>, stream: boolean): void {
  body.stream = stream;
  // Without include_usage a streamed answer carries no token counts at all.
  if (stream) body.stream_options = { include_usage: true };
}

function addSampling(body: Record<string, unknown>, s: SamplingOptions, dialect: Dialect): void {
  if (s.temperature !== undefined) body.temperature = s.temperature;
  if (s.topP !== undefined) body.top_p = s.topP;
  const maxTokens = s.maxTokens ?? dialect.defaultMaxTokens;
  if (maxTokens !== undefined) body[dialect.maxTokensField] = maxTokens;
  if (s.stop !== undefined && s.stop.length > 0) body.stop = s.stop;
  if (s.seed !== undefined) body.seed = s.seed;
  if (s.frequencyPenalty !== undefined) body.frequency_penalty = s.frequencyPenalty;
  if (s.presencePenalty !== undefined) body.presence_penalty = s.presencePenalty;
  if (!dialect.extendedSampling) return;
  if (s.topK !== undefined) body.top_k = s.topK;
  if (s.repeatPenalty !== undefined) body.repetition_penalty = s.repeatPenalty;
}

function toToolChoice(choice: ToolChoice): unknown {
  if (typeof choice === 'string') return choice;
  return { type: 'function', function: { name: choice.name } };
}

function toResponseFormat(format: ResponseFormat): Record<string, unknown> {
  if (format.type === 'json') return { type: 'json_object' };
  return { type: 'json_schema', json_schema: { name: 'response', schema: format.schema } };
}

/** Translates one message; images become data URIs, tool calls keep their JSON-string arguments. */
export function toOpenAIMessage(m: ChatMessage): Record<string, unknown> {
  if (m.role === 'tool') {
    const out: Record<string, unknown> = { role: 'tool', content: m.content };
    if (m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
    return out;
  }
  if (m.role === 'assistant' && m.toolCalls && m.toolCalls.length > 0) {
    return {
      role: 'assistant',
      content: m.content || null,
      tool_calls: m.toolCalls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
    };
  }
  if (m.images && m.images.length > 0) {
    const parts: unknown[] = m.content ? [{ type: 'text', text: m.content }] : [];
    for (const image of m.images) {
      parts.push({
        type: 'image_url',
        image_url: { url: `data:${imageType(image)};base64,${image}` },
      });
    }
    return { role: m.role, content: parts };
  }
  return { role: m.role, content: m.content };
}

/** The MIME type from the first base64 characters (the file signature). */
function imageType(base64: string): string {
  if (base64.startsWith('/9j/')) return 'image/jpeg';
  if (base64.startsWith('R0lGOD')) return 'image/gif';
  if (base64.startsWith('UklGR')) return 'image/webp';
  return 'image/png';
}
