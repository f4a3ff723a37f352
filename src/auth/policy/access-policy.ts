import { ConfigError } from '../../errors/errors.js';
import type { AccessRule } from '../config.js';
import type { AccessPolicy, Action, Principal, ProtectedResource } from '../types.js';
import { parseCondition } from './conditions.js';
import type { Condition } from './conditions.js';

const ACTIONS: readonly Action[] = ['create', 'read', 'update', 'delete'];
/** Attribute families the default policy compares between user and owner. */
const SHARED_ATTRIBUTES = ['roles', 'teams', 'projects', 'namespaces'];

interface CompiledRule {
  effect: 'permit' | 'forbid';
  principal: string | undefined;
  actions: Set<Action>;
  resource: string | undefined;
  when: Condition[] | undefined;
  unless: Condition[] | undefined;
}

function asList<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function compile(rule: AccessRule, index: number): CompiledRule {
  const where = `server.auth.access_policy[${index}]`;
  const effect = rule.permit ? 'permit' : 'forbid';
  const scope = rule.permit ?? rule.forbid;
  if (!scope) throw new ConfigError(`${where}: needs exactly one of permit or forbid`);

  const actions = asList(scope.actions);
  if (actions.length === 0) {
    throw new ConfigError(`${where}: ${effect}.actions is required (${ACTIONS.join(', ')})`);
  }
  for (const action of actions) {
    if (!ACTIONS.includes(action as Action)) {
      throw new ConfigError(`${where}: unknown action '${action}' (use ${ACTIONS.join(', ')})`);
    }
  }

  const parse = (texts: string | string[] | undefined) => {
    if (texts === undefined) return undefined;
    return asList(texts).map((text) => {
      const condition = parseCondition(text);
      if (!condition) {
        throw new ConfigError(
          `${where}: Invalid condition: '${text}' (expected e.g. 'user is owner', ` +
            "'user with admin in roles', 'user in owners teams', 'resource is unowned')",
        );
      }
      return condition;
    });
  };
  return {
    effect,
    principal: scope.principal,
    actions: new Set(actions as Action[]),
    resource: scope.resource,
    when: parse(rule.when),
    unless: parse(rule.unless),
  };
}

/** `model::*` style wildcards match every id of that type; anything else is exact. */
function matchesResource(pattern: string, qualifiedId: string): boolean {
  if (pattern === qualifiedId) return true;
  return pattern.endsWith('::*') && qualifiedId.startsWith(pattern.slice(0, -1));
}

function applies(
  rule: CompiledRule,
  user: Principal,
  action: Action,
  resource: ProtectedResource,
): boolean {
  if (!rule.actions.has(action)) return false;
  if (rule.principal !== undefined && rule.principal !== user.id) return false;
  if (
    rule.resource !== undefined &&
    !matchesResource(rule.resource, `${resource.type}::${resource.id}`)
  ) {
    return false;
  }
  if (rule.when) return rule.when.every((c) => c(user, resource));
  if (rule.unless) return !rule.unless.every((c) => c(user, resource));
  return true;
}

/**
 * Llama Stack 0.4+ default: unowned resources are visible to every authenticated user; owned ones
 * to the owner and to users sharing at least one roles/teams/projects/namespaces value with the
 * owner. An owner with none of those attributes shares with nobody (fail-closed).
 */
function defaultDecision(user: Principal, resource: ProtectedResource): boolean {
  const owner = resource.owner;
  if (!owner || owner.id === user.id) return true;
  return SHARED_ATTRIBUTES.some((name) => {
    const theirs = owner.attributes[name] ?? [];
    const mine = user.attributes[name] ?? [];
    return theirs.some((value) => mine.includes(value));
  });
}

/**
 * Compiles `access_policy` once at start-up; invalid rules throw ConfigError naming the rule
 * index. Evaluation: first applicable rule decides, none applies → deny; an empty list uses the
 * default policy; no user (authentication disabled) → allow.
 */
export function createAccessPolicy(rules: AccessRule[]): AccessPolicy {
  const compiled = rules.map(compile);
  return {
    isAllowed(user, action, resource) {
      if (!user) return true;
      if (compiled.length === 0) return defaultDecision(user, resource);
      const decisive = compiled.find((rule) => applies(rule, user, action, resource));
      return decisive?.effect === 'permit';
    },
  };
}
