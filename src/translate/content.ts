import { InvalidRequestError } from '../errors/errors.js';

const DATA_URI = /^data:(image\/[a-z0-9.+-]+)?;base64,/i;

/**
 * Accepts only inline images. Fetching caller-supplied URLs from the gateway would let any
 * authenticated caller make the server request internal addresses, so URLs are refused.
 */
export function imageToBase64(ref: string, where: string): string {
  const match = DATA_URI.exec(ref);
  if (match) return ref.slice(match[0].length);
  if (/^https?:\/\//i.test(ref)) {
    throw new InvalidRequestError(
      `${where}: image URLs are not fetched by the server; send the image inline as a data:image/...;base64 URI`,
      where,
    );
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(ref)) return ref.replace(/\s+/g, '');
  throw new InvalidRequestError(`${where}: image must be base64 data or a data: URI`, where);
}

/** Parses tool-call arguments given as an object or as JSON text; returns JSON text. */
export function argumentsToJson(args: unknown, where: string): string {
  if (typeof args === 'string') {
    if (args.trim() === '') return '{}';
    try {
      JSON.parse(args);
    } catch {
      throw new InvalidRequestError(`${where}: tool call arguments are not valid JSON`, where);
    }
    return args;
  }
  return JSON.stringify(args ?? {});
}

/** Tool-call arguments as an object, for APIs that carry them parsed. */
export function argumentsToObject(json: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  } catch {
    return {};
  }
}
