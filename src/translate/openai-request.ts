import { z } from 'zod';
import { InvalidRequestError } from '../errors/errors.js';
import type {
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  ResponseFormat,
  SamplingOptions,
  ToolChoice,
  ToolDefinition,
} from '../inference/types.js';
import { argumentsToJson, imageToBase64 } from './content.js';
import { parseBody } from './validate.js';

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.union([z.string(), z.object({ url: z.string(), detail: z.string().optional() })]),
});
const contentSchema = z.union([z.string(), z.array(z.union([textPart, imagePart]))]).nullish();

const toolCallSchema = z.object({
  id: z.string().optional(),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().min(1), arguments: z.unknown() }),
});

const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: contentSchema }),
  z.object({ role: z.literal('developer'), content: contentSchema }),
  z.object({ role: z.literal('user'), content: contentSchema }),
  z.object({
    role: z.literal('assistant'),
    content: contentSchema,
    tool_calls: z.array(toolCallSchema).nullish(),
  }),
  z.object({
    role: z.literal('tool'),
    content: contentSchema,
    tool_call_id: z.string(),
    name: z.string().optional(),
  }),
]);

const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const samplingFields = {
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  seed: z.number().int().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  n: z.literal(1, { message: 'only n=1 is supported' }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  keep_alive: z.union([z.string(), z.number()]).optional(),
};

const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().optional(),
      schema: z.record(z.string(), z.unknown()),
    }),
  }),
]);

export const chatCompletionSchema = z.object({
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1),
  ...samplingFields,
  max_completion_tokens: z.number().int().min(1).nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: z
    .union([
      z.enum(['auto', 'none', 'required']),
      z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
    ])
    .nullish(),
  response_format: responseFormatSchema.nullish(),
});

export const completionSchema = z.object({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
  suffix: z.string().nullish(),
  ...samplingFields,
});

export const embeddingsSchema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  encoding_format: z.enum(['float', 'base64']).default('float'),
  dimensions: z.number().int().positive().nullish(),
});

export type OpenAIChatBody = z.infer<typeof chatCompletionSchema>;
type Content = z.infer<typeof contentSchema>;

function splitContent(content: Content, where: string): { text: string; images: string[] } {
  if (content === null || content === undefined) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  const images: string[] = [];
  let text = '';
  content.forEach((part, i) => {
    if (part.type === 'text') text += part.text;
    else {
      const url = typeof part.image_url === 'string' ? part.image_url : part.image_url.url;
      images.push(imageToBase64(url, `${where}.content[${i}].image_url`));
    }
  });
  return { text, images };
}

function toMessages(body: OpenAIChatBody): ChatMessage[] {
  const namesById = new Map<string, string>();
  return body.messages.map((m, i) => {
    const where = `messages[${i}]`;
    const { text, images } = splitContent(m.content, where);
    const base: ChatMessage = { role: m.role === 'developer' ? 'system' : m.role, content: text };
    if (images.length > 0) base.images = images;
    if (m.role === 'assistant' && m.tool_calls && m.tool_calls.length > 0) {
      base.toolCalls = m.tool_calls.map((c, j) => {
        const id = c.id ?? `call_${i}_${j}`;
        namesById.set(id, c.function.name);
        const args = argumentsToJson(
          c.function.arguments,
          `${where}.tool_calls[${j}].function.arguments`,
        );
        return { id, name: c.function.name, arguments: args };
      });
    }
    if (m.role === 'tool') {
      base.toolCallId = m.tool_call_id;
      const name = m.name ?? namesById.get(m.tool_call_id);
      if (name) base.toolName = name;
    }
    return base;
  });
}

function toSampling(body: z.infer<z.ZodObject<typeof samplingFields>>, maxTokens?: number | null) {
  const s: SamplingOptions = {};
  if (body.temperature != null) s.temperature = body.temperature;
  if (body.top_p != null) s.topP = body.top_p;
  const max = maxTokens ?? body.max_tokens;
  if (max != null) s.maxTokens = max;
  if (body.stop != null) s.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.seed != null) s.seed = body.seed;
  if (body.frequency_penalty != null) s.frequencyPenalty = body.frequency_penalty;
  if (body.presence_penalty != null) s.presencePenalty = body.presence_penalty;
  return s;
}

function toTools(body: OpenAIChatBody): { tools?: ToolDefinition[]; toolChoice?: ToolChoice } {
  const tools = body.tools ?? [];
  const choice = body.tool_choice;
  if (choice != null && tools.length === 0) {
    throw new InvalidRequestError(
      "'tool_choice' is only allowed when 'tools' is also provided",
      'tool_choice',
    );
  }
  if (tools.length === 0 || choice === 'none') return {};

  const defs = tools.map((t) => ({
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    parameters: t.function.parameters ?? { type: 'object', properties: {} },
  }));
  if (choice == null || typeof choice === 'string')
    return { tools: defs, toolChoice: choice ?? 'auto' };
  if (!defs.some((d) => d.name === choice.function.name)) {
    throw new InvalidRequestError(
      `tool_choice names '${choice.function.name}', which is not one of the tools`,
      'tool_choice',
    );
  }
  return { tools: defs, toolChoice: { name: choice.function.name } };
}

function toResponseFormat(body: OpenAIChatBody): ResponseFormat | undefined {
  const rf = body.response_format;
  if (!rf || rf.type === 'text') return undefined;
  if (rf.type === 'json_object') return { type: 'json' };
  return { type: 'json_schema', schema: rf.json_schema.schema };
}

/** OpenAI chat body → the provider contract. `model` is replaced by the caller. */
export function parseOpenAIChat(raw: unknown): { body: OpenAIChatBody; request: ChatRequest } {
  const body = parseBody(chatCompletionSchema, raw);
  const request: ChatRequest = {
    model: body.model,
    messages: toMessages(body),
    sampling: toSampling(body, body.max_completion_tokens),
    stream: body.stream === true,
    ...toTools(body),
  };
  const format = toResponseFormat(body);
  if (format) request.responseFormat = format;
  if (body.keep_alive !== undefined) request.keepAlive = body.keep_alive;
  return { body, request };
}

export function parseOpenAICompletion(raw: unknown) {
  const body = parseBody(completionSchema, raw);
  const request: CompletionRequest = {
    model: body.model,
    prompt: typeof body.prompt === 'string' ? body.prompt : (body.prompt[0] as string),
    sampling: toSampling(body),
    stream: body.stream === true,
  };
  if (body.suffix != null) request.suffix = body.suffix;
  if (body.keep_alive !== undefined) request.keepAlive = body.keep_alive;
  return { body, request };
}

export function parseOpenAIEmbeddings(raw: unknown) {
  return parseBody(embeddingsSchema, raw);
}
