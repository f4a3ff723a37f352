/**
 * `${env.NAME}`, `${env.NAME:=default}` and `${env.NAME:+value}` substitution over a parsed
 * run.yaml tree, with Llama Stack's type conversion of substituted strings. Unlike upstream, any
 * text that looks like a placeholder but does not parse is an error: a literal placeholder is
 * never used as a value.
 */
import { homedir } from 'node:os';
import { ConfigError } from '../errors/errors.js';
import {
  formatConfigProblems,
  formatPath,
  redactTemplate,
  type PathSegment,
} from './errors-format.js';

export type EnvMap = Record<string, string | undefined>;

export interface SubstitutionResult {
  value: unknown;
  /** One line per problem, already naming the key path and the fix. */
  problems: string[];
  /** Source path (formatPath) -> original template, for strings that were type-converted. */
  converted: Map<string, string>;
  /** Source list path (formatPath) -> original index of each kept entry, for dropped entries. */
  keptIndexes: Map<string, number[]>;
}

const PLACEHOLDER = /\$\{env\.([A-Z0-9_]+)(?::([=+])([^}]*))?\}/y;
/** Anything that starts like a shell-style placeholder is checked; `${1}` or `$${` are not. */
const PLACEHOLDER_LIKE = /\$\{\s*[A-Za-z_]/y;
const DISABLED = '__disabled__';

const DIGITS = String.raw`\d(?:_?\d)*`;
const PY_INT = new RegExp(String.raw`^\s*[+-]?${DIGITS}\s*$`);
const PY_FLOAT = new RegExp(
  String.raw`^\s*[+-]?(?:(?:${DIGITS}\.(?:${DIGITS})?|\.${DIGITS}|${DIGITS})` +
    String.raw`(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)\s*$`,
  'i',
);

/**
 * Substitutes every string value of `tree` (keys are left alone) from `env` and throws one
 * ConfigError naming `file` listing every problem found.
 */
export function substituteEnv(tree: unknown, env: EnvMap, file: string): unknown {
  const result = substituteEnvDetailed(tree, env);
  if (result.problems.length > 0)
    throw new ConfigError(formatConfigProblems(file, result.problems));
  return result.value;
}

/**
 * The substitution pass without throwing. List entries carrying a `provider_id` that resolves to
 * `__disabled__` or empty are dropped unsubstituted (so their missing variables do not matter);
 * under `providers.<api>` a literal null `provider_id` drops the entry too.
 */
export function substituteEnvDetailed(tree: unknown, env: EnvMap): SubstitutionResult {
  const state: SubstitutionResult = {
    value: undefined,
    problems: [],
    converted: new Map(),
    keptIndexes: new Map(),
  };
  state.value = walk(tree, [], env, state);
  return state;
}

function walk(node: unknown, path: PathSegment[], env: EnvMap, state: SubstitutionResult): unknown {
  if (typeof node === 'string') return substituteString(node, path, env, state);
  if (Array.isArray(node)) {
    const kept: number[] = [];
    const out: unknown[] = [];
    node.forEach((item, i) => {
      if (isDisabledEntry(item, [...path, i], env)) return;
      kept.push(i);
      out.push(walk(item, [...path, i], env, state));
    });
    if (kept.length !== node.length) state.keptIndexes.set(formatPath(path), kept);
    return out;
  }
  if (isPlainObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node))
      out[key] = walk(value, [...path, key], env, state);
    return out;
  }
  return node;
}

function isDisabledEntry(item: unknown, path: PathSegment[], env: EnvMap): boolean {
  if (!isPlainObject(item) || !('provider_id' in item)) return false;
  const raw = item.provider_id;
  const inProviders = path.length === 3 && path[0] === 'providers';
  if (raw === null) return inProviders;
  if (typeof raw !== 'string') return false;
  // Problems resolving the id are reported when the entry is walked normally.
  const scratch: SubstitutionResult = {
    value: undefined,
    problems: [],
    converted: new Map(),
    keptIndexes: new Map(),
  };
  const resolved = substituteString(raw, [...path, 'provider_id'], env, scratch);
  if (scratch.problems.length > 0) return false;
  return resolved === null || resolved === '' || resolved === DISABLED;
}

function substituteString(
  text: string,
  path: PathSegment[],
  env: EnvMap,
  state: SubstitutionResult,
): unknown {
  const where = formatPath(path);
  let out = '';
  let pos = 0;
  let failed = false;
  while (pos < text.length) {
    const at = text.indexOf('${', pos);
    if (at < 0) break;
    out += text.slice(pos, at);
    PLACEHOLDER.lastIndex = at;
    const match = PLACEHOLDER.exec(text);
    if (match) {
      const [whole, name = '', op, arg = ''] = match;
      const piece = resolvePiece(name, op, arg, whole, path, env, state);
      if (piece === undefined) failed = true;
      else out += piece;
      pos = at + whole.length;
      continue;
    }
    PLACEHOLDER_LIKE.lastIndex = at;
    if (text.startsWith('${env.', at) || PLACEHOLDER_LIKE.test(text)) {
      const close = text.indexOf('}', at);
      const shown = text.slice(at, close < 0 ? text.length : close + 1);
      state.problems.push(`${where}: ${malformedReason(shown, path)}`);
      failed = true;
      pos = close < 0 ? text.length : close + 1;
      continue;
    }
    out += '${';
    pos = at + 2;
  }
  if (failed) return text;
  out += text.slice(pos);
  if (out === text) return text;
  if (out.includes('${env.')) {
    state.problems.push(
      `${where}: the value still contains '\${env.' after substitution. Variable values are not ` +
        'substituted again; set the variable to the final value instead of another placeholder.',
    );
    return text;
  }
  const converted = convertSubstituted(out);
  if (typeof converted !== 'string') state.converted.set(where, text);
  return converted;
}

function resolvePiece(
  name: string,
  op: string | undefined,
  arg: string,
  whole: string,
  path: PathSegment[],
  env: EnvMap,
  state: SubstitutionResult,
): string | undefined {
  const where = formatPath(path);
  if (arg.includes('${')) {
    state.problems.push(
      `${where}: placeholders cannot be nested (${redactTemplate(path, whole)}…); ` +
        'use a literal default value.',
    );
    return undefined;
  }
  const value = env[name];
  const isSet = value !== undefined && value !== '';
  if (op === '=') return expandHome(isSet ? value : arg, env);
  if (op === '+') return isSet ? expandHome(arg, env) : '';
  if (isSet) return expandHome(value, env);
  state.problems.push(
    `${where}: environment variable ${name} is not set (or is empty). Set it (export ${name}=... ` +
      `or pass --env ${name}=...), or give a default with \${env.${name}:=default}, or make the ` +
      `value conditional with \${env.${name}:+value}.`,
  );
  return undefined;
}

function malformedReason(shown: string, path: PathSegment[]): string {
  const text = redactTemplate(path, shown);
  const forms = '${env.NAME}, ${env.NAME:=default} or ${env.NAME:+value}';
  if (!shown.endsWith('}')) return `placeholder '${text}' has no closing '}'; write ${forms}.`;
  if (!shown.startsWith('${env.')) {
    return `'${text}' is not a placeholder llamagate understands; write ${forms}.`;
  }
  const name = /^\$\{env\.([^:}]*)/.exec(shown)?.[1] ?? '';
  if (name === '') return `placeholder '${text}' has no variable name; write ${forms}.`;
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    return `placeholder '${text}' has an invalid variable name; names use A-Z, 0-9 and _ only.`;
  }
  if (/[a-z]/.test(name)) {
    return (
      `placeholder '${text}' uses a lower-case variable name; names are upper-case, ` +
      `write \${env.${name.toUpperCase()}...} and set ${name.toUpperCase()}.`
    );
  }
  const op = /^\$\{env\.[A-Z0-9_]+(:.?)/.exec(shown)?.[1] ?? '';
  return `placeholder '${text}' uses unsupported syntax '${op}'; write ${forms}.`;
}

/**
 * Python's os.path.expanduser for `~` and `~/...`.
 * TODO(config): `~user/...` is left as written; Node has no portable passwd lookup.
 */
function expandHome(value: string, env: EnvMap): string {
  if (value !== '~' && !value.startsWith('~/')) return value;
  const home = (env.HOME ?? homedir()).replace(/\/+$/, '');
  return home + value.slice(1) || '/';
}

/**
 * Llama Stack's conversion of a substituted string: "" -> null, true/false -> boolean, Python
 * int then float syntax -> number, else the string itself.
 */
export function convertSubstituted(value: string): unknown {
  if (value === '') return null;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (PY_INT.test(value) || PY_FLOAT.test(value)) {
    const plain = value.trim().replace(/_/g, '').toLowerCase();
    const sign = plain.startsWith('-') ? -1 : 1;
    const unsigned = plain.replace(/^[+-]/, '');
    if (unsigned === 'nan') return Number.NaN;
    if (unsigned === 'inf' || unsigned === 'infinity') return sign * Number.POSITIVE_INFINITY;
    const n = Number(plain);
    return n === 0 ? 0 : n;
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
