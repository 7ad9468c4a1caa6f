// A small in-memory storage adapter for oidc-provider (the adapter interface of its docs:
// upsert/find/findByUid/findByUserCode/consume/destroy/revokeByGrantId).
//
// oidc-provider ships one too, but announces it on every start; the IdP is meant to be quiet,
// and a throw-away store is exactly what tests and the demo want.

const entries = new Map(); // `${model}:${id}` -> { payload, expiresAt }
const sessionUids = new Map(); // uid -> session id
const userCodes = new Map(); // userCode -> id
const grantMembers = new Map(); // grantId -> Set of keys

function alive(key) {
  const entry = entries.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    entries.delete(key);
    return undefined;
  }
  return entry;
}

export default class MemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
    entries.set(key, { payload: structuredClone(payload), expiresAt });
    if (this.model === 'Session' && payload.uid) sessionUids.set(payload.uid, id);
    if (payload.userCode) userCodes.set(payload.userCode, id);
    if (payload.grantId) {
      if (!grantMembers.has(payload.grantId)) grantMembers.set(payload.grantId, new Set());
      grantMembers.get(payload.grantId).add(key);
    }
  }

  async find(id) {
    const entry = id === undefined ? undefined : alive(this.key(id));
    return entry ? structuredClone(entry.payload) : undefined;
  }

  async findByUid(uid) {
    return this.find(sessionUids.get(uid));
  }

  async findByUserCode(userCode) {
    return this.find(userCodes.get(userCode));
  }

  async consume(id) {
    const entry = alive(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) entries.delete(key);
    grantMembers.delete(grantId);
  }
}
