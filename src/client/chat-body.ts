import type { InvokeRequest } from './invoke-request.js';

/** Which chat API the configured LLS_CHAT_ENDPOINT speaks. */
export type ChatDialect = 'legacy' | 'openai';

/**
 * Llama Stack 0.2's native `/v1/inference/chat-completion` takes `model_id`; every other
 * endpoint (`/v1/chat/completions`, `/v1/openai/v1/chat/completions`) is OpenAI-shaped.
 */
export function dialectOf(chatEndpoint: string): ChatDialect {
  return chatEndpoint.includes('/inference/chat-completion') ? 'legacy' : 'openai';
}

/** The upstream request body: optional system message, then history, then the prompt. */
export function buildChatBody(
  req: InvokeRequest,
  defaultModel: string,
  dialect: ChatDialect,
): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [];
  if (req.system !== undefined) messages.push({ role: 'system', content: req.system });
  for (const m of req.history) {
    // The legacy API rejects assistant messages without a stop_reason.
    messages.push(
      dialect === 'legacy' && m.role === 'assistant'
        ? { role: m.role, content: m.content, stop_reason: 'end_of_turn' }
        : { role: m.role, content: m.content },
    );
  }
  messages.push({ role: 'user', content: req.prompt });

  const model = req.model ?? defaultModel;
  return dialect === 'legacy'
    ? { model_id: model, messages, stream: req.stream }
    : { model, messages, stream: req.stream };
}
