import { InvalidRequestError } from '../errors/errors.js';

export type ChatRole = 'system' | 'user' | 'assistant';

// TODO(client): history content is text only; image parts and tool messages are not relayed yet.
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** A validated `POST /api/invoke` body. */
export interface InvokeRequest {
  prompt: string;
  model: string | undefined;
  system: string | undefined;
  history: ChatMessage[];
  stream: boolean;
}

const ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];
const PROMPT_HINT = 'send {"prompt": "..."}';
/** Keeps one request from turning into an unbounded upstream payload. */
const MAX_HISTORY = 1000;

/**
 * Checks an `/api/invoke` body. Unknown fields are ignored, as the tutorial's service accepted
 * any object; everything we read must have the right type, or the caller gets a 400 saying so.
 */
export function parseInvokeRequest(body: unknown): InvokeRequest {
  if (body === undefined || body === null) {
    throw new InvalidRequestError(`request body is empty: ${PROMPT_HINT}`);
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError(
      `request body must be a JSON object, got ${typeName(body)}: ${PROMPT_HINT}`,
    );
  }
  const b = body as Record<string, unknown>;
  return {
    prompt: parsePrompt(b.prompt),
    model: optionalString(b.model, 'model', 'a model id such as "llama3.2:3b"'),
    system: optionalString(b.system, 'system', 'the system message text'),
    history: parseHistory(b.messages),
    stream: parseStream(b.stream),
  };
}

function parsePrompt(prompt: unknown): string {
  if (
    prompt === undefined ||
    prompt === null ||
    (typeof prompt === 'string' && prompt.trim() === '')
  ) {
    throw new InvalidRequestError(`prompt is required: ${PROMPT_HINT}`, 'prompt');
  }
  if (typeof prompt !== 'string') {
    throw new InvalidRequestError(
      `prompt must be a string, got ${typeName(prompt)}: ${PROMPT_HINT}`,
      'prompt',
    );
  }
  return prompt;
}

function optionalString(value: unknown, name: string, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidRequestError(
      `${name} must be a non-empty string (${what}), got ${typeName(value)}`,
      name,
    );
  }
  return value;
}

function parseStream(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') {
    throw new InvalidRequestError(`stream must be true or false, got ${typeName(value)}`, 'stream');
  }
  return value;
}

function parseHistory(value: unknown): ChatMessage[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new InvalidRequestError(
      'messages must be an array of {"role": "user"|"assistant"|"system", "content": "..."}, ' +
        `got ${typeName(value)}`,
      'messages',
    );
  }
  if (value.length > MAX_HISTORY) {
    throw new InvalidRequestError(
      `messages has ${value.length} entries; at most ${MAX_HISTORY} are accepted`,
      'messages',
    );
  }
  return value.map((item: unknown, i) => parseMessage(item, `messages[${i}]`));
}

function parseMessage(item: unknown, where: string): ChatMessage {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new InvalidRequestError(
      `${where} must be an object like {"role": "user", "content": "..."}, got ${typeName(item)}`,
      'messages',
    );
  }
  const { role, content } = item as Record<string, unknown>;
  if (typeof role !== 'string' || !ROLES.includes(role as ChatRole)) {
    throw new InvalidRequestError(
      `${where}.role must be one of ${ROLES.join(', ')}, got ${describeValue(role)}`,
      'messages',
    );
  }
  if (typeof content !== 'string') {
    throw new InvalidRequestError(
      `${where}.content must be a string, got ${typeName(content)}`,
      'messages',
    );
  }
  return { role: role as ChatRole, content };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : typeName(value);
}
