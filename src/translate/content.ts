import { InvalidRequestError } from '../errors/errors.js';

const DATA_URI = /^data:(image\/[a-z0-9.+-]+)?;base64,/i;
/** Standard base64 with padding: what Ollama's decoder accepts. Fixed-size groups, so linear. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Accepts only inline images. Fetching caller-supplied URLs from the gateway would let any
 * authenticated caller make the server request internal addresses, so URLs are refused.
 */
export function imageToBase64(ref: string, where: string): string {
  const match = DATA_URI.exec(ref);
  if (match) return checkedBase64(ref.slice(match[0].length), where);
  if (/^https?:\/\//i.test(ref)) {
    throw new InvalidRequestError(
      `${where}: image URLs are not fetched by the server; ` +
        'send the image inline as a data:image/...;base64 URI',
      where,
    );
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(ref)) return checkedBase64(ref, where);
  throw new InvalidRequestError(`${where}: image must be base64 data or a data: URI`, where);
}

/** Refuses what the model server could not decode (a path, truncated data), so it fails here. */
function checkedBase64(data: string, where: string): string {
  const compact = data.replace(/\s+/g, '');
  if (compact !== '' && BASE64.test(compact)) return compact;
  throw new InvalidRequestError(
    `${where}: image data is not valid base64 (standard alphabet, padded with '=')`,
    where,
  );
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
