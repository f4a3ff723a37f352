/**
 * Turns run.yaml problems into the one start-up message llamagate prints: the file, then one line
 * per problem, each naming the key path (`providers.inference[0].config.url`) and the fix.
 */

export type PathSegment = string | number;

/** Zod 4 issues, typed loosely so formatting does not depend on zod's internal issue unions. */
export interface IssueLike {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  [extra: string]: unknown;
}

/** Keys whose values must never be printed, at any depth of the path. */
const SECRET_KEY = /secret|passw|token|credential|apikey|(^|[_-])(api[_-]?)?keys?($|[_-])/i;

/** `providers.inference[0].config.url`; the empty path reads `(top level)`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out === '' ? '(top level)' : out;
}

/** True when some key on the path names a secret (token, password, api_key, ...). */
export function isSecretPath(path: readonly PathSegment[]): boolean {
  return path.some((seg) => typeof seg === 'string' && SECRET_KEY.test(seg));
}

/** The value's type in run.yaml words: string, number, boolean, null, list, mapping. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'mapping';
  return typeof value;
}

/** The value's type and, unless the path is secret or the value is a container, the value. */
export function describeValue(path: readonly PathSegment[], value: unknown): string {
  const type = typeName(value);
  if (type === 'null' || type === 'list' || type === 'mapping') return type;
  if (isSecretPath(path)) return `${type} (value hidden)`;
  const text = typeof value === 'string' ? JSON.stringify(clip(value)) : String(value);
  return `${type} ${text}`;
}

/** Hides the default/value part of a placeholder shown under a secret key. */
export function redactTemplate(path: readonly PathSegment[], text: string): string {
  const clipped = clip(text);
  return isSecretPath(path) ? clipped.replace(/:([=+?-]?)[^}]*/, ':$1…') : clipped;
}

function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The single ConfigError message for one or more problems in `file`. */
export function formatConfigProblems(file: string, problems: readonly string[]): string {
  if (problems.length === 1) return `Invalid run config ${file}: ${problems[0]}`;
  const lines = problems.map((p) => `  - ${p}`);
  return [`Invalid run config ${file} (${problems.length} problems):`, ...lines].join('\n');
}

/** Reads the value at `path` in a plain JSON-like tree; undefined when absent. */
export function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node: unknown = root;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

/** Extra explanation for a value at a (source) path, e.g. where a converted value came from. */
export type HintFor = (path: readonly PathSegment[], value: unknown) => string | undefined;

/**
 * One problem line per zod issue. `root` is the validated tree (to report the value's type),
 * `base` prefixes the issue paths, `toSource` maps them back to positions in the file.
 */
export function zodIssuesToProblems(
  issues: readonly Pick<IssueLike, 'code' | 'path' | 'message'>[],
  root: unknown,
  base: readonly PathSegment[] = [],
  toSource: (path: readonly PathSegment[]) => PathSegment[] = (p) => [...p],
  hintFor: HintFor = () => undefined,
): string[] {
  return (issues as readonly IssueLike[]).map((issue) => {
    const rel = issue.path.map((s) => (typeof s === 'number' ? s : String(s)));
    const full = [...base, ...rel];
    const source = toSource(full);
    const value = valueAt(root, rel);
    // Only a type mismatch can be explained by the placeholder conversion.
    const hint = issue.code === 'invalid_type' ? hintFor(source, value) : undefined;
    const line = `${formatPath(source)}: ${describeIssue(issue, source, value)}`;
    return hint ? `${line} (${hint})` : line;
  });
}

/** zod's type names in run.yaml words. */
function yamlType(expected: unknown): string {
  const name = String(expected);
  if (name === 'object' || name === 'record' || name === 'map') return 'mapping';
  if (name === 'array' || name === 'tuple') return 'list';
  return name;
}

function describeIssue(issue: IssueLike, path: PathSegment[], value: unknown): string {
  const where = formatPath(path);
  const expected = yamlType(issue.expected);
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `is required (a ${expected}); add it.`;
      return (
        `expected ${expected}, got ${describeValue(path, value)}. ` +
        `Set ${where} to a ${expected}.`
      );
    case 'invalid_value': {
      const options = (issue.values as unknown[] | undefined)?.map((v) => String(v)).join(', ');
      return `got ${describeValue(path, value)}; use one of: ${options}.`;
    }
    case 'invalid_union':
      return describeUnion(issue, path, value);
    case 'too_small':
    case 'too_big':
      return `${describeBound(issue)} (got ${describeValue(path, value)}).`;
    case 'invalid_format':
      return `must be a valid ${String(issue.format)} (got ${describeValue(path, value)}).`;
    default:
      return `${issue.message}.`;
  }
}

function describeUnion(issue: IssueLike, path: PathSegment[], value: unknown): string {
  if (Array.isArray(issue.options) && issue.discriminator !== undefined) {
    const options = issue.options.map((o) => `'${String(o)}'`).join(', ');
    if (value === undefined) return `is required; use one of ${options}.`;
    return `got ${describeValue(path, value)}, which is not a known type; use one of ${options}.`;
  }
  const branches = (issue.errors as IssueLike[][] | undefined) ?? [];
  const expected = branches.flatMap((b) =>
    b.length === 1 && b[0]?.code === 'invalid_type' && b[0].path.length === 0
      ? [yamlType(b[0].expected)]
      : [],
  );
  if (expected.length === branches.length && expected.length > 0) {
    return `expected ${expected.join(' or ')}, got ${describeValue(path, value)}.`;
  }
  // Report the branch that came closest: the one with the fewest problems.
  const closest = [...branches].sort((a, b) => a.length - b.length)[0];
  if (!closest || closest.length === 0) return `${issue.message}.`;
  return closest
    .map((sub) => {
      const subPath = [...path, ...sub.path.map((s) => (typeof s === 'number' ? s : String(s)))];
      const subValue = valueAt(
        value,
        sub.path.map((s) => (typeof s === 'number' ? s : String(s))),
      );
      const inner = describeIssue(sub, subPath, subValue);
      return sub.path.length === 0 ? inner : `${formatPath(subPath)}: ${inner}`;
    })
    .join('; ');
}

function describeBound(issue: IssueLike): string {
  const small = issue.code === 'too_small';
  const limit = small ? issue.minimum : issue.maximum;
  const strict = issue.inclusive === false;
  switch (issue.origin) {
    case 'number':
    case 'int':
    case 'bigint': {
      const lower = strict ? 'greater than' : 'at least';
      const upper = strict ? 'less than' : 'at most';
      return `must be ${small ? lower : upper} ${String(limit)}`;
    }
    case 'string':
      if (small && Number(limit) === 1) return 'must not be empty';
      return `must have ${small ? 'at least' : 'at most'} ${String(limit)} characters`;
    case 'array':
      return `must have ${small ? 'at least' : 'at most'} ${String(limit)} entries`;
    default:
      return issue.message;
  }
}
