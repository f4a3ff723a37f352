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

/** What is being checked, for messages: the caller's field and how to name it. */
export interface SchemaSite {
  what: string;
  param: string;
}

const RESPONSE_FORMAT: SchemaSite = {
  what: 'response_format json_schema',
  param: 'response_format',
};

function failAt(site: SchemaSite, path: string, why: string): never {
  throw new InvalidRequestError(
    `${site.what} cannot be enforced by inline::llama-cpp: ${why} at ${path}. ` +
      'Supported: type, properties, items, prefixItems, additionalProperties, enum, const, ' +
      'oneOf/anyOf, $ref/$defs, min/maxLength, min/maxItems, format date|time|date-time.',
    site.param,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the schema in the dialect node-llama-cpp understands (anyOf becomes oneOf). */
export function toGrammarSchema(
  schema: unknown,
  site: SchemaSite = RESPONSE_FORMAT,
  path = '#',
): Record<string, unknown> {
  const fail: (at: string, why: string) => never = (at, why) => failAt(site, at, why);
  const sub = (value: unknown, at: string) => toGrammarSchema(value, site, at);
  if (!isObject(schema)) fail(path, 'a schema must be an object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema as Record<string, unknown>)) {
    const at = `${path}/${key}`;
    if (IGNORED.has(key)) {
      // Descriptions document function parameters for the model; required is harmless.
      if (key === 'required' || (key === 'description' && typeof value === 'string')) {
        out[key] = value;
      }
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
      const schemas = value as Record<string, unknown>;
      const mapped: Record<string, unknown> = {};
      for (const name of Object.keys(schemas)) mapped[name] = sub(schemas[name], `${at}/${name}`);
      out[key === 'definitions' ? '$defs' : key] = mapped;
    } else if (SCHEMA_LISTS.has(key)) {
      if (!Array.isArray(value)) fail(at, `${key} must be an array of schemas`);
      out[key === 'anyOf' ? 'oneOf' : key] = (value as unknown[]).map((v, i) =>
        sub(v, `${at}/${i}`),
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = typeof value === 'boolean' ? value : sub(value, at);
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
