import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

/**
 * In-memory storage for oidc-provider's short-lived state (interactions, sessions, grants,
 * authorization codes). One store per running IdP, shared by the Provider instances that key
 * rotation creates, so a login in progress survives a rotation. Nothing here needs to outlive
 * the process: tokens are self-contained JWTs.
 */
export function createMemoryAdapter(): { factory: AdapterFactory; close(): void } {
  const store = new Map<string, Entry>();
  const secondary = new Map<string, string>();
  const grants = new Map<string, Set<string>>();

  const read = (key: string): AdapterPayload | undefined => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  // Expired entries are dropped lazily on read; this sweep bounds memory for abandoned logins.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, entry] of store) if (entry.expiresAt <= now) store.delete(key);
  }, 60_000);
  sweep.unref();

  const factory = (model: string): Adapter => {
    const key = (id: string): string => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY;
        store.set(key(id), { payload, expiresAt });
        if (model === 'Session' && payload.uid) secondary.set(`uid:${payload.uid}`, id);
        if (payload.userCode) secondary.set(`userCode:${payload.userCode}`, id);
        if (payload.grantId) {
          const members = grants.get(payload.grantId) ?? new Set<string>();
          members.add(key(id));
          grants.set(payload.grantId, members);
        }
      },
      async find(id) {
        return read(key(id));
      },
      async findByUid(uid) {
        const id = secondary.get(`uid:${uid}`);
        return id === undefined ? undefined : read(key(id));
      },
      async findByUserCode(userCode) {
        const id = secondary.get(`userCode:${userCode}`);
        return id === undefined ? undefined : read(key(id));
      },
      async consume(id) {
        const payload = read(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        const payload = read(key(id));
        store.delete(key(id));
        if (payload?.uid) secondary.delete(`uid:${payload.uid}`);
        if (payload?.userCode) secondary.delete(`userCode:${payload.userCode}`);
      },
      async revokeByGrantId(grantId) {
        for (const member of grants.get(grantId) ?? []) store.delete(member);
        grants.delete(grantId);
      },
    };
  };
  return { factory, close: () => clearInterval(sweep) };
}
