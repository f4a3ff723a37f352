/**
 * The run.yaml checks that need more than the schema: each provider's type and its own config
 * schema, and each model's provider, provider model id and embedding dimension.
 */
import { findProviderFactory, knownProviderTypes } from '../providers/index.js';
import type { RunConfig } from './schema.js';
import {
  describeValue,
  formatPath,
  zodIssuesToProblems,
  type HintFor,
  type PathSegment,
} from './errors-format.js';

type ToSource = (path: readonly PathSegment[]) => PathSegment[];

export interface ProviderValidation {
  problems: string[];
  /** provider_id -> config parsed by the provider's schema. */
  configs: Map<string, unknown>;
}

/**
 * Checks every `providers.<api>[i]` entry of the substituted tree: unique ids, a known
 * `provider_type`, and a `config` that its provider's schema accepts.
 */
export function validateProviders(
  tree: Record<string, unknown>,
  toSource: ToSource,
  hintFor: HintFor,
): ProviderValidation {
  const result: ProviderValidation = { problems: [], configs: new Map() };
  const providers = tree.providers;
  if (!isPlainObject(providers)) return result; // the schema reports it
  const seen = new Map<string, string>();

  for (const [api, list] of Object.entries(providers)) {
    if (!Array.isArray(list)) continue;
    list.forEach((entry, i) => {
      if (!isPlainObject(entry)) return;
      const where = toSource(['providers', api, i]);
      const id = entry.provider_id;
      if (typeof id === 'string' && id !== '') {
        const first = seen.get(id);
        if (first !== undefined) {
          result.problems.push(
            `${formatPath([...where, 'provider_id'])}: provider_id '${id}' is already used by ` +
              `${first}; give each provider a unique provider_id.`,
          );
        } else seen.set(id, formatPath(where));
      }
      const type = entry.provider_type;
      if (typeof type !== 'string' || type === '') return; // the schema reports it
      // Other APIs (safety, agents, vector_io, ...) are not served: their providers are ignored
      // with a warning at start-up, whatever their type, so a Llama Stack run.yaml works as is.
      if (api !== 'inference' && !findProviderFactory(type)) return;
      const problem = checkType(api, type, [...where, 'provider_type']);
      if (problem) {
        result.problems.push(problem);
        return;
      }
      const config = entry.config ?? {};
      if (!isPlainObject(config)) return; // the schema reports it
      const parsed = findProviderFactory(type)?.configSchema.safeParse(config);
      if (!parsed) return;
      if (!parsed.success) {
        const base = ['providers', api, i, 'config'];
        result.problems.push(
          ...zodIssuesToProblems(parsed.error.issues, config, base, toSource, hintFor),
        );
      } else if (typeof id === 'string') result.configs.set(id, parsed.data);
    });
  }
  return result;
}

function checkType(api: string, type: string, path: PathSegment[]): string | undefined {
  const where = formatPath(path);
  const factory = findProviderFactory(type);
  if (!factory) {
    const known = knownProviderTypes();
    const list = known.length > 0 ? known.join(', ') : 'none are available in this build';
    return `${where}: unknown provider_type '${type}'. Known provider types: ${list}.`;
  }
  if (api !== 'inference') {
    return (
      `${where}: '${type}' is an inference provider; list it under providers.inference ` +
      `instead of providers.${api}.`
    );
  }
  return undefined;
}

/**
 * Fills in each model's provider_id (when exactly one inference provider exists) and
 * provider_model_id (defaults to model_id); returns the problems found.
 */
export function resolveModels(config: RunConfig, toSource: ToSource): string[] {
  const problems: string[] = [];
  const ids = (config.providers.inference ?? []).map((p) => p.provider_id);
  const idList = ids.map((id) => `'${id}'`).join(', ');

  config.models.forEach((model, i) => {
    const at = (key: string, ...rest: PathSegment[]): string =>
      formatPath([...toSource(['models', i]), key, ...rest]);
    if (model.provider_id === null || model.provider_id === undefined) {
      if (ids.length === 1) model.provider_id = ids[0];
      else if (ids.length === 0) {
        problems.push(
          `${at('provider_id')}: model '${model.model_id}' has no provider and no inference ` +
            'provider is configured; add one under providers.inference.',
        );
      } else {
        problems.push(
          `${at('provider_id')}: model '${model.model_id}' has no provider_id and there are ` +
            `${ids.length} inference providers (${idList}); please specify a provider_id.`,
        );
      }
    } else if (!ids.includes(model.provider_id)) {
      const hint = ids.length > 0 ? `use one of ${idList}` : 'add it under providers.inference';
      problems.push(
        `${at('provider_id')}: model '${model.model_id}' names provider '${model.provider_id}', ` +
          `which is not a configured inference provider; ${hint}.`,
      );
    }
    if (!model.provider_model_id) model.provider_model_id = model.model_id;

    const dim = model.metadata.embedding_dimension;
    if (model.model_type === 'embedding' && !(Number.isInteger(dim) && (dim as number) > 0)) {
      const path = [...toSource(['models', i]), 'metadata', 'embedding_dimension'];
      const got = dim === undefined ? 'it is missing' : `got ${describeValue(path, dim)}`;
      problems.push(
        `${formatPath(path)}: embedding model '${model.model_id}' must have an embedding ` +
          `dimension in its metadata (${got}); add e.g. metadata: {embedding_dimension: 768}.`,
      );
    }
  });
  return problems;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
