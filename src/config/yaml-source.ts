/** Parses run.yaml text into a plain tree, turning YAML errors into file:line:column messages. */
import { parseDocument, type YAMLError } from 'yaml';
import { ConfigError } from '../errors/errors.js';

/** Parses `text` (read from `file`) and checks it is a mapping; throws ConfigError otherwise. */
export function parseYamlTree(text: string, file: string): Record<string, unknown> {
  // TODO(config): this is YAML 1.2 (core schema); upstream's PyYAML reads YAML 1.1, where
  // unquoted yes/no/on/off are booleans. Such values arrive here as strings and fail validation
  // with a clear type error instead of loading.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) throw new ConfigError(syntaxMessage(file, first), { cause: first });

  let tree: unknown;
  try {
    // The alias cap stops "billion laughs" documents from expanding without bound.
    tree = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError(
      `Invalid run config ${file}: ${(err as Error).message}. Use fewer YAML aliases.`,
      { cause: err },
    );
  }
  if (tree === null || tree === undefined) {
    throw new ConfigError(
      `Invalid run config ${file}: the file is empty. Add at least a providers: section.`,
    );
  }
  if (typeof tree !== 'object' || Array.isArray(tree)) {
    throw new ConfigError(
      `Invalid run config ${file}: the top level must be a mapping of keys (version, providers, ` +
        `server, ...), not a ${Array.isArray(tree) ? 'list' : typeof tree}.`,
    );
  }
  return tree as Record<string, unknown>;
}

function syntaxMessage(file: string, err: YAMLError): string {
  const pos = err.linePos?.[0];
  // Only the first line of yaml's message: the rest quotes the source, which may hold secrets.
  const what = (err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?\s*$/, '');
  return (
    `Invalid run config ${file}: YAML syntax error at line ${pos?.line ?? '?'}, column ` +
    `${pos?.col ?? '?'}: ${what}. Fix the YAML there (indentation, quotes, ':' after keys).`
  );
}
