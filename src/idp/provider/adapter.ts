import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/**
 * How many records of one kind are kept at most. Anyone who can reach the authorization endpoint
 * creates a pending login (an `Interaction`, holding the request's parameters) without
 * authenticating, so without a bound memory would grow with every such request for the records'
 * lifetime. Past the bound the oldest record of that kind is dropped: under such a flood an old,
 * unfinished login has to start again, and nothing else is affected.
 */
export const MAX_RECORDS: Readonly<Record<string, number>> = { Interaction: 1_000 };
const DEFAULT_MAX_RECORDS = 10_000;

/**
 * In-memory storage for oidc-provider's short-lived state (interactions, sessions, grants,
 * authorization codes). One store per running IdP, shared by the Provider instances that key
 * rotation creates, so a login in progress survives a rotation. Nothing here needs to outlive
 * the process: tokens are self-contained JWTs.
 */
export function createMemoryAdapter(): { factory: AdapterFactory; close(): void } {
  /** Per model, in insertion order, so the oldest record of a kind is the first key. */
  const stores = new Map<string, Map<string, Entry>>();
  const secondary = new Map<string, string>();
  const grants = new Map<string, Set<string>>();

  const storeOf = (model: string) => {
    let store = stores.get(model);
    if (!store) stores.set(model, (store = new Map()));
    return store;
  };

  /** Drops a record and what points at it. */
  const remove = (model: string, id: string) => {
    const store = storeOf(model);
    const payload = store.get(id)?.payload;
    store.delete(id);
    if (!payload) return;
    if (payload.uid && secondary.get(`uid:${payload.uid}`) === id) {
      secondary.delete(`uid:${payload.uid}`);
    }
    if (payload.userCode && secondary.get(`userCode:${payload.userCode}`) === id) {
      secondary.delete(`userCode:${payload.userCode}`);
    }
    if (payload.grantId) {
      const members = grants.get(payload.grantId);
      members?.delete(`${model}:${id}`);
      if (members?.size === 0) grants.delete(payload.grantId);
    }
  };

  const read = (model: string, id: string): AdapterPayload | undefined => {
    const entry = storeOf(model).get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      remove(model, id);
      return undefined;
    }
    return entry.payload;
  };

  // Expired entries are dropped lazily on read; this sweep bounds memory for abandoned logins.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [model, store] of stores) {
      for (const [id, entry] of store) if (entry.expiresAt <= now) remove(model, id);
    }
  }, 60_000);
  sweep.unref();

  const factory = (model: string): Adapter => {
    const store = storeOf(model);
    const max = MAX_RECORDS[model] ?? DEFAULT_MAX_RECORDS;
    return {
      async upsert(id, payload, expiresIn) {
        const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
        remove(model, id);
        store.set(id, { payload, expiresAt });
        if (model === 'Session' && payload.uid) secondary.set(`uid:${payload.uid}`, id);
        if (payload.userCode) secondary.set(`userCode:${payload.userCode}`, id);
        if (payload.grantId) {
          const members = grants.get(payload.grantId) ?? new Set<string>();
          members.add(`${model}:${id}`);
          grants.set(payload.grantId, members);
        }
        while (store.size > max) remove(model, store.keys().next().value as string);
      },
      async find(id) {
        return read(model, id);
      },
      async findByUid(uid) {
        const id = secondary.get(`uid:${uid}`);
        return id === undefined ? undefined : read(model, id);
      },
      async findByUserCode(userCode) {
        const id = secondary.get(`userCode:${userCode}`);
        return id === undefined ? undefined : read(model, id);
      },
      async consume(id) {
        const payload = read(model, id);
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        remove(model, id);
      },
      async revokeByGrantId(grantId) {
        for (const member of [...(grants.get(grantId) ?? [])]) {
          const at = member.indexOf(':');
          remove(member.slice(0, at), member.slice(at + 1));
        }
        grants.delete(grantId);
      },
    };
  };
  return { factory, close: () => clearInterval(sweep) };
}
