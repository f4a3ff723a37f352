/**
 * Loads run.yaml: YAML parse, `${env...}` substitution, schema validation, provider config
 * validation and model resolution. Every problem is fatal at start-up and reported as one
 * ConfigError naming the file, the key path and the fix.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors/errors.js';
import { runConfigSchema, type RunConfig } from './schema.js';
import { substituteEnvDetailed, type EnvMap } from './env-subst.js';
import {
  formatConfigProblems,
  formatPath,
  typeName,
  zodIssuesToProblems,
  type PathSegment,
} from './errors-format.js';
import { parseYamlTree } from './yaml-source.js';
import { validateProviders, resolveModels } from './resolve.js';

export interface LoadOptions {
  /** Variables for substitution; defaults to process.env (never modified). */
  env?: Record<string, string | undefined>;
  /** `--env KEY=VALUE` pairs; they override `env`. */
  cliEnv?: Record<string, string>;
}

export interface LoadedConfig {
  path: string;
  config: RunConfig;
  /** provider_id -> that provider's config, parsed by its factory's schema. */
  providerConfigs: Map<string, unknown>;
}

const ENV_KEY = /^[A-Za-z0-9_]+$/;
const DEFAULT_PORT = 8321;

/** Reads and validates the run.yaml at `path`; throws ConfigError on any problem. */
export async function loadRunConfig(
  path: string,
  options: LoadOptions = {},
): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(readFailure(path, err), { cause: err });
  }
  return parseRunConfig(text, path, options);
}

/** Validates run.yaml text; `path` is only used in messages. Throws ConfigError. */
export function parseRunConfig(
  text: string,
  path: string,
  options: LoadOptions = {},
): LoadedConfig {
  const env = mergeEnv(options);
  const tree = parseYamlTree(text, path);
  const fail = (problems: string[]): never => {
    throw new ConfigError(formatConfigProblems(path, problems));
  };

  const subst = substituteEnvDetailed(tree, env);
  if (subst.problems.length > 0) fail(subst.problems);
  const value = subst.value as Record<string, unknown>;
  // Upstream forces image_name to a string before validation (`image_name: 2025` is fine).
  if (typeof value.image_name === 'number') value.image_name = String(value.image_name);

  const toSource = (p: readonly PathSegment[]): PathSegment[] => toSourcePath(p, subst.keptIndexes);
  const hintFor = (p: readonly PathSegment[], got: unknown): string | undefined => {
    if (!subst.converted.has(formatPath(p))) return undefined;
    return (
      `it comes from an \${env...} placeholder whose text looked like a ${typeName(got)} and was ` +
      'converted; this field needs text that is not a plain number or true/false'
    );
  };

  const parsed = runConfigSchema.safeParse(value);
  const problems = parsed.success
    ? []
    : zodIssuesToProblems(parsed.error.issues, value, [], toSource, hintFor);
  const providers = validateProviders(value, toSource, hintFor);
  problems.push(...providers.problems);
  if (parsed.success) problems.push(...resolveModels(parsed.data, toSource));
  if (problems.length > 0 || !parsed.success) fail(problems);

  return { path, config: (parsed as { data: RunConfig }).data, providerConfigs: providers.configs };
}

/**
 * The listening port, as upstream picks it: CLI `--port`, then `LLAMA_STACK_PORT`, then
 * `server.port`, then 8321. Port 0 (any free port) is accepted from the CLI and the variable.
 */
export function resolvePort(
  cliPort: number | undefined,
  env: Record<string, string | undefined>,
  config: RunConfig,
): number {
  if (cliPort !== undefined) {
    if (!isPort(cliPort)) {
      throw new ConfigError(`Invalid --port ${cliPort}: use an integer between 0 and 65535.`);
    }
    return cliPort;
  }
  const fromEnv = env.LLAMA_STACK_PORT?.trim();
  if (fromEnv) {
    const n = /^\d+$/.test(fromEnv) ? Number(fromEnv) : Number.NaN;
    if (!isPort(n)) {
      throw new ConfigError(
        `Invalid LLAMA_STACK_PORT ${JSON.stringify(fromEnv)}: ` +
          'use an integer between 0 and 65535, ' +
          'or unset it to use server.port from the run config.',
      );
    }
    return n;
  }
  return config.server?.port ?? DEFAULT_PORT;
}

/**
 * Parses `--env KEY=VALUE` arguments (split at the first `=`; the value may be empty or contain
 * `=`). Later pairs win. Throws ConfigError naming the bad argument.
 */
export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  pairs.forEach((pair, i) => {
    const eq = pair.indexOf('=');
    if (eq < 0) {
      throw new ConfigError(
        `Invalid --env argument #${i + 1}: ` +
          'expected KEY=VALUE (e.g. --env OLLAMA_URL=http://localhost:11434).',
      );
    }
    const key = pair.slice(0, eq);
    checkEnvKey(key, `--env argument #${i + 1}`);
    out[key] = pair.slice(eq + 1);
  });
  return out;
}

function mergeEnv(options: LoadOptions): EnvMap {
  const cli = options.cliEnv ?? {};
  for (const key of Object.keys(cli)) checkEnvKey(key, '--env');
  return { ...(options.env ?? process.env), ...cli };
}

function checkEnvKey(key: string, what: string): void {
  if (ENV_KEY.test(key)) return;
  const shown = key === '' ? 'an empty name' : JSON.stringify(key.slice(0, 60));
  throw new ConfigError(
    `Invalid ${what}: variable name ${shown} may only contain letters, digits and _ (KEY=VALUE).`,
  );
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 65535;
}

/** Maps a path in the substituted tree back to the file, where dropped entries still count. */
function toSourcePath(path: readonly PathSegment[], kept: Map<string, number[]>): PathSegment[] {
  const out: PathSegment[] = [];
  for (const seg of path) {
    if (typeof seg === 'number') {
      const indexes = kept.get(formatPath(out));
      out.push(indexes?.[seg] ?? seg);
    } else out.push(seg);
  }
  return out;
}

function readFailure(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') {
    return `Run config ${path} not found. Check the path given on the command line.`;
  }
  if (code === 'EISDIR')
    return `Run config ${path} is a directory; pass the run.yaml file inside it.`;
  if (code === 'EACCES' || code === 'EPERM') {
    return `Run config ${path} cannot be read (permission denied); make it readable for this user.`;
  }
  return `Run config ${path} cannot be read (${code ?? String(err)}).`;
}
