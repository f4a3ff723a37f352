import type { Principal, ProtectedResource } from '../types.js';

/** One parsed `when`/`unless` condition. */
export type Condition = (user: Principal, resource: ProtectedResource) => boolean;

/** Values the resource owner holds for `name`, or `undefined` when it has none. */
function ownerValues(resource: ProtectedResource, name: string): string[] | undefined {
  const values = resource.owner?.attributes[name];
  return values && values.length > 0 ? values : undefined;
}

/** Llama Stack's "in owners": vacuously true when the owner has no such attribute. */
function userInOwners(name: string): Condition {
  return (user, resource) => {
    const required = ownerValues(resource, name);
    if (!required) return true;
    const mine = user.attributes[name] ?? [];
    return required.some((value) => mine.includes(value));
  };
}

const isOwner: Condition = (user, resource) => resource.owner?.id === user.id;

/**
 * Parses Llama Stack's condition grammar (whitespace-separated words). Returns `undefined` for
 * text that matches no form, so the caller can report the rule at start-up.
 */
export function parseCondition(text: string): Condition | undefined {
  const w = text.trim().split(/\s+/);
  const is = (...words: string[]) =>
    w.length === words.length && words.every((x, i) => x === '*' || x === w[i]);

  if (is('user', 'is', 'owner')) return isOwner;
  if (is('user', 'is', 'not', 'owner')) return (u, r) => !isOwner(u, r);
  if (is('resource', 'is', 'unowned')) return (_u, r) => r.owner === undefined;
  if (is('user', 'in', 'owners', '*')) return userInOwners(w[3]!);
  if (is('user', 'not', 'in', 'owners', '*')) {
    const inOwners = userInOwners(w[4]!);
    return (u, r) => !inOwners(u, r);
  }
  if (is('user', 'with', '*', 'in', '*')) {
    const [value, name] = [w[2]!, w[4]!];
    return (u) => (u.attributes[name] ?? []).includes(value);
  }
  if (is('user', 'with', '*', 'not', 'in', '*')) {
    const [value, name] = [w[2]!, w[5]!];
    return (u) => !(u.attributes[name] ?? []).includes(value);
  }
  return undefined;
}
