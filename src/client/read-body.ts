import type { Dispatcher } from 'undici';

/**
 * Reads an upstream body as UTF-8 text, up to `maxBytes`; a longer body is cut off and the rest
 * discarded, since error and token answers are small and a runaway body must not fill memory.
 */
export async function readBodyText(
  body: Dispatcher.ResponseData['body'],
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > maxBytes) {
      chunks.push(buf.subarray(0, maxBytes - size));
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    size += buf.length;
    chunks.push(buf);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}
