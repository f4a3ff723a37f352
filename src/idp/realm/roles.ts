import type { RealmExport, RoleExport } from './schema.js';

/**
 * Role graph of a realm: the roles declared in the file plus the ones Keycloak creates in every
 * realm (`offline_access`, `uma_authorization`, `default-roles-<realm>` and the `account`
 * client's roles), with composites expanded the way Keycloak puts them into tokens.
 */
export interface RoleGraph {
  hasRealmRole(name: string): boolean;
  /** Whether `clientId` has a role table here (declared in the file or built in). */
  knowsClient(clientId: string): boolean;
  hasClientRole(clientId: string, name: string): boolean;
  expand(
    realmRoles: string[],
    clientRoles: Record<string, string[]>,
  ): {
    realmRoles: string[];
    clientRoles: Record<string, string[]>;
  };
}

type RoleKey = string;
// NUL separates the parts because client ids (URNs) and role names may contain ':'.
const realmKey = (name: string): RoleKey => `r\0${name}`;
const clientKey = (clientId: string, name: string): RoleKey => `c\0${clientId}\0${name}`;

/** Built-in clients whose roles Keycloak creates itself; user mappings to them are not checked. */
const BUILTIN_CLIENTS = new Set([
  'account',
  'account-console',
  'admin-cli',
  'broker',
  'realm-management',
  'security-admin-console',
]);

function builtinRealmRoles(realm: string): RoleExport[] {
  return [
    { name: 'offline_access' },
    { name: 'uma_authorization' },
    {
      name: `default-roles-${realm}`,
      composite: true,
      composites: {
        realm: ['offline_access', 'uma_authorization'],
        client: { account: ['view-profile', 'manage-account'] },
      },
    },
  ];
}

const ACCOUNT_ROLES: RoleExport[] = [
  { name: 'view-profile' },
  {
    name: 'manage-account',
    composite: true,
    composites: { client: { account: ['manage-account-links'] } },
  },
  { name: 'manage-account-links' },
];

function composites(role: RoleExport): RoleKey[] {
  const realm = (role.composites?.realm ?? []).map(realmKey);
  const client = Object.entries(role.composites?.client ?? {}).flatMap(([id, names]) =>
    names.map((n) => clientKey(id, n)),
  );
  return [...realm, ...client];
}

/** Builds the graph; roles declared in the file override built-ins with the same name. */
export function buildRoleGraph(exp: RealmExport): RoleGraph {
  const edges = new Map<RoleKey, RoleKey[]>();
  const clientsWithRoles = new Set<string>(['account']);

  for (const role of builtinRealmRoles(exp.realm)) edges.set(realmKey(role.name), composites(role));
  for (const role of ACCOUNT_ROLES) edges.set(clientKey('account', role.name), composites(role));
  for (const role of exp.roles.realm) edges.set(realmKey(role.name), composites(role));
  for (const [clientId, roles] of Object.entries(exp.roles.client)) {
    clientsWithRoles.add(clientId);
    for (const role of roles) edges.set(clientKey(clientId, role.name), composites(role));
  }

  return {
    hasRealmRole: (name) => edges.has(realmKey(name)),
    knowsClient: (clientId) => clientsWithRoles.has(clientId) || BUILTIN_CLIENTS.has(clientId),
    hasClientRole: (clientId, name) =>
      BUILTIN_CLIENTS.has(clientId) && clientId !== 'account'
        ? true
        : edges.has(clientKey(clientId, name)),
    expand(realmRoles, clientRoles) {
      const seen = new Set<RoleKey>();
      const stack: RoleKey[] = [
        ...realmRoles.map(realmKey),
        ...Object.entries(clientRoles).flatMap(([id, names]) => names.map((n) => clientKey(id, n))),
      ];
      while (stack.length > 0) {
        const key = stack.pop()!;
        if (seen.has(key)) continue;
        seen.add(key);
        stack.push(...(edges.get(key) ?? []));
      }
      return split(seen);
    },
  };
}

function split(keys: Set<RoleKey>): {
  realmRoles: string[];
  clientRoles: Record<string, string[]>;
} {
  const realmRoles: string[] = [];
  const clientRoles: Record<string, string[]> = {};
  for (const key of [...keys].sort()) {
    const [kind, first, second] = key.split('\0') as [string, string, string | undefined];
    if (kind === 'r') realmRoles.push(first);
    else (clientRoles[first] ??= []).push(second!);
  }
  return { realmRoles, clientRoles };
}
