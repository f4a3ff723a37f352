/**
 * node-llama-cpp turns a JSON schema into a grammar, but quietly maps what it does not know to
 * `null`. That would return output that does not match the caller's schema, so schemas are
 * checked here first: unsupported constraints fail with a 400 naming the keyword and its path.
 */
import { InvalidRequestError } from '../../errors/errors.js';

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array']);
const STRING_FORMATS = new Set(['date', 'time', 'date-time']);
/** Annotations with no effect on valid values. */
const IGNORED = new Set([
  'title',
  'description',
  'examples',
  'default',
  '$schema',
  '$id',
  '$comment',
  'deprecated',
  'readOnly',
  'writeOnly',
  'required',
]);
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions']);
const SCHEMA_LISTS = new Set(['oneOf', 'anyOf', 'prefixItems']);
const PLAIN = new Set([
  'type',
  'const',
  'enum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'format',
  '$ref',
]);

function fail(path: string, why: string): never {
  throw new InvalidRequestError(
    `response_format json_schema cannot be enforced by inline::llama-cpp: ${why} at ${path}. ` +
      'Supported: type, properties, items, prefixItems, additionalProperties, enum, const, ' +
      'oneOf/anyOf, $ref/$defs, min/maxLength, min/maxItems, format date|time|date-time.',
    'response_format',
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the schema in the dialect node-llama-cpp understands (anyOf becomes oneOf). */
export function toGrammarSchema(schema: unknown, path = '#'): Record<string, unknown> {
  if (!isObject(schema)) fail(path, 'a schema must be an object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    const at = `${path}/${key}`;
    if (IGNORED.has(key)) {
      if (key === 'required') out.required = value;
      continue;
    }
    if (key === 'type') {
      const types = Array.isArray(value) ? value : [value];
      for (const t of types)
        if (typeof t !== 'string' || !TYPES.has(t)) fail(at, `unknown type ${JSON.stringify(t)}`);
      out.type = value;
    } else if (key === 'format') {
      if (typeof value !== 'string' || !STRING_FORMATS.has(value))
        fail(at, `unsupported format ${JSON.stringify(value)}`);
      out.format = value;
    } else if (PLAIN.has(key)) {
      out[key] = value;
    } else if (SCHEMA_MAPS.has(key)) {
      if (!isObject(value)) fail(at, `${key} must be an object of schemas`);
      const mapped: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(value))
        mapped[name] = toGrammarSchema(sub, `${at}/${name}`);
      out[key === 'definitions' ? '$defs' : key] = mapped;
    } else if (SCHEMA_LISTS.has(key)) {
      if (!Array.isArray(value)) fail(at, `${key} must be an array of schemas`);
      out[key === 'anyOf' ? 'oneOf' : key] = value.map((sub, i) =>
        toGrammarSchema(sub, `${at}/${i}`),
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = typeof value === 'boolean' ? value : toGrammarSchema(value, at);
    } else {
      fail(at, `the keyword ${key} is not supported`);
    }
  }
  if (typeof out.$ref === 'string' && !/^#\/(\$defs|definitions)\/[^/]+$/.test(out.$ref)) {
    fail(`${path}/$ref`, 'only local references to #/$defs/<name> are supported');
  }
  if (typeof out.$ref === 'string') out.$ref = out.$ref.replace('#/definitions/', '#/$defs/');
  return out;
}
