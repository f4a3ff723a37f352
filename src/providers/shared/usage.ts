/** Far above the tokens of any one generation; a count beyond it is not believable. */
const MAX_TOKENS_PER_CALL = 10_000_000;

/**
 * A token count reported by an upstream, as a number we can charge and expose: anything that is
 * not a whole number between 0 and MAX_TOKENS_PER_CALL (a string, a negative or absurd value)
 * counts as not reported (0), so a malformed count can neither fail a finished answer nor lock
 * a caller out of their token budget.
 */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= 0 &&
    value <= MAX_TOKENS_PER_CALL
    ? value
    : 0;
}
