/**
 * Why fastify's JSON parser refused a body: it is not JSON at all, or it is JSON that carries a
 * `__proto__` or `constructor.prototype` key, which the parser refuses so that a body cannot
 * reach object prototypes. Told apart so the message says what to fix.
 */
export function refusedJsonReason(text: string): string {
  try {
    JSON.parse(text);
  } catch {
    return 'request body is not valid JSON';
  }
  return 'request body has a "__proto__" or "constructor.prototype" key, which is refused';
}
