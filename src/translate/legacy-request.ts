import { z } from 'zod';
import { InvalidRequestError, NotImplementedError } from '../errors/errors.js';
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

/** Llama Stack 0.2.x `InterleavedContent`: a string, one item, or a list of items. */
const imageRef = z.union([
  z.string(),
  z.object({ url: z.object({ uri: z.string() }) }),
  z.object({ data: z.string() }),
]);
const item = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image'), image: imageRef }),
]);
const interleaved = z.union([z.string(), item, z.array(z.union([z.string(), item]))]);

const legacyToolCall = z.object({
  call_id: z.string(),
  tool_name: z.string(),
  arguments: z.unknown(),
  arguments_json: z.string().optional(),
});

const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), content: interleaved, context: interleaved.nullish() }),
  z.object({ role: z.literal('system'), content: interleaved }),
  z.object({
    role: z.literal('assistant'),
    content: interleaved,
    // Upstream requires it; older clients omit it, and it carries no meaning for generation.
    stop_reason: z.enum(['end_of_turn', 'end_of_message', 'out_of_tokens']).optional(),
    tool_calls: z.array(legacyToolCall).nullish(),
  }),
  z.object({ role: z.literal('tool'), call_id: z.string(), content: interleaved }),
]);

const strategy = z.discriminatedUnion('type', [
  z.object({ type: z.literal('greedy') }),
  z.object({
    type: z.literal('top_p'),
    temperature: z.number().positive().nullish(),
    top_p: z.number().min(0).max(1).default(0.95),
  }),
  z.object({ type: z.literal('top_k'), top_k: z.number().int().min(1) }),
]);

const samplingSchema = z.object({
  strategy: strategy.default({ type: 'greedy' }),
  max_tokens: z.number().int().min(0).nullish(),
  repetition_penalty: z.number().positive().nullish(),
  stop: z.array(z.string()).nullish(),
});

const paramDef = z.object({
  param_type: z.string(),
  description: z.string().nullish(),
  required: z.boolean().default(true),
  default: z.unknown().optional(),
});

const toolDef = z.object({
  tool_name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), paramDef).nullish(),
  input_schema: z.record(z.string(), z.unknown()).nullish(),
});

const toolChoiceValue = z.string().min(1);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('json_schema'), json_schema: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('grammar'), bnf: z.record(z.string(), z.unknown()) }),
]);

export const legacyChatSchema = z.object({
  model_id: z.string().min(1),
  messages: z.array(messageSchema).min(1),
  sampling_params: samplingSchema.nullish(),
  tools: z.array(toolDef).nullish(),
  tool_choice: toolChoiceValue.nullish(),
  tool_prompt_format: z.enum(['json', 'function_tag', 'python_list']).nullish(),
  tool_config: z
    .object({
      tool_choice: toolChoiceValue.default('auto'),
      tool_prompt_format: z.enum(['json', 'function_tag', 'python_list']).nullish(),
      system_message_behavior: z.enum(['append', 'replace']).nullish(),
    })
    .nullish(),
  response_format: responseFormat.nullish(),
  stream: z.boolean().nullish(),
  logprobs: z.object({ top_k: z.number().int().min(0).default(0) }).nullish(),
  keep_alive: z.union([z.string(), z.number()]).optional(),
});

export const legacyCompletionSchema = z.object({
  model_id: z.string().min(1),
  content: interleaved,
  sampling_params: samplingSchema.nullish(),
  response_format: responseFormat.nullish(),
  stream: z.boolean().nullish(),
  logprobs: z.object({ top_k: z.number().int().min(0).default(0) }).nullish(),
});

export const legacyEmbeddingsSchema = z.object({
  model_id: z.string().min(1),
  contents: z
    .array(z.union([z.string(), item]))
    .min(1)
    .max(2048),
  text_truncation: z.enum(['none', 'start', 'end']).default('none'),
  output_dimension: z.number().int().positive().nullish(),
  task_type: z.enum(['query', 'document']).nullish(),
});

export type LegacyChatBody = z.infer<typeof legacyChatSchema>;
type Interleaved = z.infer<typeof interleaved>;
type Sampling = z.infer<typeof samplingSchema>;

function imageData(image: z.infer<typeof imageRef>, where: string): string {
  if (typeof image === 'string') return imageToBase64(image, where);
  if ('data' in image) return imageToBase64(image.data, where);
  return imageToBase64(image.url.uri, where);
}

export function splitInterleaved(content: Interleaved, where: string) {
  const items = Array.isArray(content) ? content : [content];
  let text = '';
  const images: string[] = [];
  items.forEach((it, i) => {
    if (typeof it === 'string') text += it;
    else if (it.type === 'text') text += it.text;
    else images.push(imageData(it.image, `${where}[${i}].image`));
  });
  return { text, images };
}

function toMessages(body: LegacyChatBody): ChatMessage[] {
  const names = new Map<string, string>();
  return body.messages.map((m, i) => {
    const where = `messages[${i}].content`;
    const { text, images } = splitInterleaved(m.content, where);
    const msg: ChatMessage = { role: m.role, content: text };
    if (images.length > 0) msg.images = images;
    if (m.role === 'user' && m.context != null) {
      msg.content += `\n\n${splitInterleaved(m.context, `messages[${i}].context`).text}`;
    }
    if (m.role === 'assistant' && m.tool_calls && m.tool_calls.length > 0) {
      msg.toolCalls = m.tool_calls.map((c, j) => {
        names.set(c.call_id, c.tool_name);
        const args = c.arguments_json ?? c.arguments;
        const json = argumentsToJson(args, `messages[${i}].tool_calls[${j}].arguments`);
        return { id: c.call_id, name: c.tool_name, arguments: json };
      });
    }
    if (m.role === 'tool') {
      msg.toolCallId = m.call_id;
      const name = names.get(m.call_id);
      if (name) msg.toolName = name;
    }
    return msg;
  });
}

/** Llama Stack's sampling → options; greedy (the default) means temperature 0, as upstream. */
export function toSampling(params: Sampling | null | undefined): SamplingOptions {
  const p = params ?? samplingSchema.parse({});
  const s: SamplingOptions = {};
  if (p.strategy.type === 'greedy') s.temperature = 0;
  else if (p.strategy.type === 'top_p') {
    if (p.strategy.temperature != null) s.temperature = p.strategy.temperature;
    s.topP = p.strategy.top_p;
  } else s.topK = p.strategy.top_k;
  if (p.max_tokens != null && p.max_tokens > 0) s.maxTokens = p.max_tokens;
  if (p.repetition_penalty != null && p.repetition_penalty !== 1)
    s.repeatPenalty = p.repetition_penalty;
  if (p.stop != null && p.stop.length > 0) s.stop = p.stop;
  return s;
}

const PARAM_TYPES: Record<string, string> = {
  str: 'string',
  string: 'string',
  int: 'integer',
  integer: 'integer',
  float: 'number',
  number: 'number',
  bool: 'boolean',
  boolean: 'boolean',
  list: 'array',
  array: 'array',
  dict: 'object',
  object: 'object',
};

function toToolDefinition(t: z.infer<typeof toolDef>): ToolDefinition {
  const def: ToolDefinition = { name: t.tool_name, parameters: t.input_schema ?? {} };
  if (t.description) def.description = t.description;
  if (!t.input_schema) {
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const [name, p] of Object.entries(t.parameters ?? {})) {
      properties[name] = {
        type: PARAM_TYPES[p.param_type] ?? 'string',
        ...(p.description ? { description: p.description } : {}),
        ...(p.default !== undefined ? { default: p.default } : {}),
      };
      if (p.required) required.push(name);
    }
    def.parameters = { type: 'object', properties, required };
  }
  return def;
}

function resolveToolChoice(body: LegacyChatBody, tools: ToolDefinition[]): ToolChoice {
  const top = body.tool_choice ?? undefined;
  const configured = body.tool_config?.tool_choice;
  if (top !== undefined && configured !== undefined && top !== configured) {
    throw new InvalidRequestError(
      'tool_choice and tool_config.tool_choice must match',
      'tool_choice',
    );
  }
  const choice = top ?? configured ?? 'auto';
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (!tools.some((t) => t.name === choice)) {
    const names = tools.map((t) => t.name).join(', ');
    throw new InvalidRequestError(
      `Tool choice ${choice} is not one of the tools: [${names}]`,
      'tool_choice',
    );
  }
  return { name: choice };
}

function toResponseFormat(rf: LegacyChatBody['response_format']): ResponseFormat | undefined {
  if (!rf) return undefined;
  if (rf.type === 'grammar') {
    throw new NotImplementedError('Grammar response format is not supported; use json_schema');
  }
  return { type: 'json_schema', schema: rf.json_schema };
}

export function parseLegacyChat(raw: unknown): { body: LegacyChatBody; request: ChatRequest } {
  const body = parseBody(legacyChatSchema, raw);
  const tools = (body.tools ?? []).map(toToolDefinition);
  const choice = resolveToolChoice(body, tools);
  const request: ChatRequest = {
    model: body.model_id,
    messages: toMessages(body),
    sampling: toSampling(body.sampling_params),
    stream: body.stream === true,
  };
  if (tools.length > 0 && choice !== 'none') {
    request.tools = tools;
    request.toolChoice = choice;
  }
  const format = toResponseFormat(body.response_format);
  if (format) request.responseFormat = format;
  if (body.keep_alive !== undefined) request.keepAlive = body.keep_alive;
  return { body, request };
}

export function parseLegacyCompletion(raw: unknown) {
  const body = parseBody(legacyCompletionSchema, raw);
  const { text, images } = splitInterleaved(body.content, 'content');
  if (images.length > 0) {
    throw new InvalidRequestError(
      'completion takes text only; send images to chat-completion',
      'content',
    );
  }
  const request: CompletionRequest = {
    model: body.model_id,
    prompt: text,
    sampling: toSampling(body.sampling_params),
    stream: body.stream === true,
  };
  const format = toResponseFormat(body.response_format);
  if (format) request.responseFormat = format;
  return { body, request };
}

export function parseLegacyEmbeddings(raw: unknown) {
  const body = parseBody(legacyEmbeddingsSchema, raw);
  const input = body.contents.map((c, i) => {
    const { text, images } = splitInterleaved(c, `contents[${i}]`);
    if (images.length > 0)
      throw new InvalidRequestError('embeddings take text only', `contents[${i}]`);
    return text;
  });
  return { body, input };
}
