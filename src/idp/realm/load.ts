import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { ConfigError } from '../../errors/errors.js';
import { uuidV5 } from '../uuid.js';
import type { Realm, RealmClient, RealmUser } from './model.js';
import { buildRoleGraph } from './roles.js';
import type { RoleGraph } from './roles.js';
import { realmExportSchema, userSchema } from './schema.js';
import type { ClientExport, RealmExport, UserExport } from './schema.js';

/** `clients[0].secret` style, as the file's author would search for it. */
export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(part)))
      out += out ? `.${String(part)}` : String(part);
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(root)';
}

function zodMessage(file: string, error: z.ZodError): string {
  const lines = error.issues
    .slice(0, 10)
    .map((issue) => `  ${jsonPath(issue.path)}: ${issue.message}`);
  return `invalid realm file ${file}:\n${lines.join('\n')}`;
}

/** Reads and validates a Keycloak realm-export JSON file; every problem is a ConfigError. */
export async function loadRealmFile(file: string): Promise<Realm> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `cannot read realm file ${file} (${code ?? String(cause)}); pass --realm-file`,
      {
        cause,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`realm file ${file} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return parseRealm(json, file);
}

/** Validates an already-parsed realm export; `file` only labels error messages. */
export function parseRealm(json: unknown, file = '<realm>'): Realm {
  const parsed = realmExportSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(zodMessage(file, parsed.error));
  const exp = parsed.data;
  const fail = (path: PropertyKey[], message: string): never => {
    throw new ConfigError(`invalid realm file ${file}:\n  ${jsonPath(path)}: ${message}`);
  };

  const roles = buildRoleGraph(exp);
  const clients = new Map<string, RealmClient>();
  exp.clients.forEach((c, i) => {
    if (clients.has(c.clientId))
      fail(['clients', i, 'clientId'], `duplicate client '${c.clientId}'`);
    clients.set(c.clientId, toClient(exp, c, i, fail));
  });

  const users = new Map<string, RealmUser>();
  const serviceAccounts = new Map<string, RealmUser>();
  exp.users.forEach((u, i) => {
    const user = toUser(exp, u, i, roles, fail);
    if (users.has(user.username)) fail(['users', i, 'username'], `duplicate user '${u.username}'`);
    const saClient = user.serviceAccountClientId;
    if (saClient !== undefined) {
      if (!clients.get(saClient)?.serviceAccountsEnabled) {
        fail(
          ['users', i, 'serviceAccountClientId'],
          `client '${saClient}' does not exist or has serviceAccountsEnabled false`,
        );
      }
      serviceAccounts.set(saClient, user);
    }
    users.set(user.username, user);
  });

  // Keycloak creates the service-account user itself when the file does not list one.
  for (const client of clients.values()) {
    if (!client.serviceAccountsEnabled || serviceAccounts.has(client.clientId)) continue;
    const implied = userSchema.parse({
      username: `service-account-${client.clientId}`,
      serviceAccountClientId: client.clientId,
      realmRoles: [`default-roles-${exp.realm}`],
    });
    const user = toUser(exp, implied, -1, roles, fail);
    serviceAccounts.set(client.clientId, user);
    users.set(user.username, user);
  }

  return {
    name: exp.realm,
    enabled: exp.enabled,
    accessTokenLifespan: exp.accessTokenLifespan,
    ssoSessionIdleTimeout: exp.ssoSessionIdleTimeout,
    ssoSessionMaxLifespan: exp.ssoSessionMaxLifespan,
    clients,
    users,
    usersById: new Map([...users.values()].map((u) => [u.id, u])),
    serviceAccounts,
  };
}

type Fail = (path: PropertyKey[], message: string) => never;

function toClient(exp: RealmExport, c: ClientExport, i: number, fail: Fail): RealmClient {
  if (!c.publicClient && !c.bearerOnly && c.secret === undefined) {
    fail(
      ['clients', i, 'secret'],
      `confidential client '${c.clientId}' needs a secret (or set publicClient: true)`,
    );
  }
  const lifespanText = c.attributes['access.token.lifespan'];
  let lifespan = exp.accessTokenLifespan;
  if (lifespanText !== undefined && lifespanText !== '' && lifespanText !== '-1') {
    lifespan = Number(lifespanText);
    if (!Number.isInteger(lifespan) || lifespan <= 0) {
      fail(
        ['clients', i, 'attributes', 'access.token.lifespan'],
        'must be a positive whole number of seconds',
      );
    }
  }
  const audiences: string[] = [];
  c.protocolMappers.forEach((m) => {
    if (m.protocolMapper !== 'oidc-audience-mapper' || m.config?.['access.token.claim'] !== 'true')
      return;
    const audience = m.config['included.client.audience'] || m.config['included.custom.audience'];
    if (audience && !audiences.includes(audience)) audiences.push(audience);
  });
  return {
    clientId: c.clientId,
    enabled: c.enabled,
    secret: c.publicClient ? undefined : c.secret,
    publicClient: c.publicClient,
    bearerOnly: c.bearerOnly,
    serviceAccountsEnabled: c.serviceAccountsEnabled,
    directAccessGrantsEnabled: c.directAccessGrantsEnabled,
    standardFlowEnabled: c.standardFlowEnabled,
    redirectUris: c.redirectUris,
    pkceRequired: ['S256', 'plain'].includes(c.attributes['pkce.code.challenge.method'] ?? ''),
    accessTokenLifespan: lifespan,
    audiences,
  };
}

function toUser(
  exp: RealmExport,
  u: UserExport,
  i: number,
  roles: RoleGraph,
  fail: Fail,
): RealmUser {
  u.realmRoles.forEach((role, j) => {
    if (!roles.hasRealmRole(role)) {
      fail(
        ['users', i, 'realmRoles', j],
        `unknown realm role '${role}'; declare it under roles.realm`,
      );
    }
  });
  for (const [clientId, names] of Object.entries(u.clientRoles)) {
    if (!roles.knowsClient(clientId)) {
      fail(
        ['users', i, 'clientRoles', clientId],
        `no roles are declared for client '${clientId}' under roles.client`,
      );
    }
    names.forEach((role, j) => {
      if (!roles.hasClientRole(clientId, role)) {
        fail(
          ['users', i, 'clientRoles', clientId, j],
          `unknown role '${role}' of client '${clientId}'`,
        );
      }
    });
  }
  const effective = roles.expand(u.realmRoles, u.clientRoles);
  const password = u.credentials.find((c) => c.type === 'password');
  return {
    id: u.id ?? uuidV5(`${exp.realm}/${u.username.toLowerCase()}`),
    username: u.username.toLowerCase(),
    enabled: u.enabled,
    email: u.email,
    emailVerified: u.emailVerified,
    firstName: u.firstName,
    lastName: u.lastName,
    password: password?.value,
    setupPending: Boolean(password?.temporary) || u.requiredActions.length > 0,
    realmRoles: effective.realmRoles,
    clientRoles: effective.clientRoles,
    serviceAccountClientId: u.serviceAccountClientId,
  };
}
