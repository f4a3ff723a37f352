import type { z } from 'zod';
import { InvalidRequestError } from '../errors/errors.js';

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

/**
 * Validates a request body and turns the first problems into one 400 that names each field and
 * what was expected, e.g. `messages[0].role: expected one of user, system, assistant, tool`.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('request body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;

  const issues = result.error.issues.slice(0, 5);
  const text = issues
    .map((issue) => {
      const where = formatPath(issue.path);
      return where ? `${where}: ${issue.message}` : issue.message;
    })
    .join('; ');
  const first = issues[0];
  throw new InvalidRequestError(
    `invalid request: ${text}`,
    first ? formatPath(first.path) : undefined,
  );
}
