/**
 * Tool calling through node-llama-cpp's function calling: gateway tool definitions become
 * `ChatModelFunctions` (generated with the chat wrapper's own call syntax and a grammar for the
 * arguments), earlier calls and their results become `functionCall` items of the model turn.
 * Calls are returned to the caller, never executed here.
 */
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions } from 'node-llama-cpp';
import { InvalidRequestError } from '../../errors/errors.js';
import type { ChatMessage, ChatRequest, ToolCall } from '../../inference/types.js';
import { newToolCallId } from '../shared/ids.js';
import { toGrammarSchema } from './json-schema.js';

/** The functions the model may call, or undefined when the request offers none (or `none`). */
export function toFunctions(req: ChatRequest): ChatModelFunctions | undefined {
  if (!req.tools?.length || req.toolChoice === 'none') return undefined;
  if (req.toolChoice === 'required' || typeof req.toolChoice === 'object') {
    throw new InvalidRequestError(
      "inline::llama-cpp cannot force a tool call: use tool_choice 'auto' or 'none'",
      'tool_choice',
    );
  }
  if (req.responseFormat) {
    throw new InvalidRequestError(
      'inline::llama-cpp cannot combine tools with response_format; send one of them',
      'response_format',
    );
  }
  const functions: Record<string, { description?: string; params?: never }> = {};
  for (const [i, tool] of req.tools.entries()) {
    if (functions[tool.name]) {
      throw new InvalidRequestError(`tool '${tool.name}' is defined twice`, `tools[${i}]`);
    }
    const params = toGrammarSchema(tool.parameters, {
      what: `the parameters of tool '${tool.name}'`,
      param: `tools[${i}].function.parameters`,
    });
    functions[tool.name] = {
      ...(tool.description ? { description: tool.description } : {}),
      params: params as never,
    };
  }
  return functions;
}

function parseArguments(call: ToolCall, index: number): unknown {
  try {
    return call.arguments.trim() ? JSON.parse(call.arguments) : {};
  } catch {
    throw new InvalidRequestError(
      `the arguments of tool call '${call.id}' are not valid JSON`,
      `messages[${index}].tool_calls`,
    );
  }
}

/**
 * Folds assistant tool calls and the tool messages answering them into model turns. A tool
 * message must answer a call of an earlier assistant message (by id, else in order).
 */
export function toolAwareHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const open: { id: string; item: ChatModelFunctionCall; answered: boolean }[] = [];
  messages.forEach((m, index) => {
    if (m.role === 'system') history.push({ type: 'system', text: m.content });
    else if (m.role === 'user') history.push({ type: 'user', text: m.content });
    else if (m.role === 'assistant') {
      const response: ChatModelFunctionCall[] = (m.toolCalls ?? []).map((call) => {
        const item: ChatModelFunctionCall = {
          type: 'functionCall',
          name: call.name,
          params: parseArguments(call, index),
          result: undefined,
        };
        open.push({ id: call.id, item, answered: false });
        return item;
      });
      history.push({ type: 'model', response: [...(m.content ? [m.content] : []), ...response] });
    } else {
      const target =
        open.find((c) => !c.answered && m.toolCallId !== undefined && c.id === m.toolCallId) ??
        (m.toolCallId === undefined ? open.find((c) => !c.answered) : undefined);
      if (!target) {
        throw new InvalidRequestError(
          `messages[${index}] is a tool result for '${m.toolCallId ?? '(no id)'}', but no ` +
            'earlier assistant message made that tool call',
          `messages[${index}]`,
        );
      }
      target.answered = true;
      target.item.result = m.content;
    }
  });
  return history;
}

/** node-llama-cpp's calls as gateway tool calls, with fresh ids. */
export function toToolCalls(
  calls: readonly { functionName: string; params: unknown }[],
): ToolCall[] {
  return calls.map((c) => ({
    id: newToolCallId(),
    name: c.functionName,
    arguments: JSON.stringify(c.params ?? {}),
  }));
}
