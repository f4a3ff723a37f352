import { createHash } from 'node:crypto';

/** Namespace for llamagate realm identities (a fixed random UUID, never changes). */
const NAMESPACE = '5b0e2f3a-8c41-4d6e-9a57-3f1c2d7e8b90';

/**
 * RFC 9562 UUIDv5 (SHA-1, name-based). Users in a realm file rarely carry an `id`, but `sub`
 * must be the same on every start so tokens and stored grants keep meaning the same person;
 * hashing the realm and username gives that without a database.
 */
export function uuidV5(name: string, namespace: string = NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return (
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-` +
    `${hex.slice(16, 20)}-${hex.slice(20)}`
  );
}
