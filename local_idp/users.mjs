// The test users of the local IdP, in one place. Tests and the demo sign in with these.
//
// Claims follow Logto's user claims (@logto/core-kit `userClaims`): `null` is a real value
// ("the user has no name"), exactly as Logto returns it, so clients must cope with it.

import { randomBytes } from 'node:crypto';

const FIXED_TIME = Date.UTC(2024, 0, 1); // created_at / updated_at, milliseconds like Logto

/** @typedef {{ sub: string, username: string, password: string, name: string|null,
 *   picture: string|null, email: string|null, email_verified: boolean,
 *   custom_data: object, identities: object, created_at: number, updated_at: number,
 *   organizations?: {id: string, name: string, description: string|null, roles: string[]}[] }} User */

/** @type {User[]} */
export const TEST_USERS = [
  {
    sub: 'usr_alice',
    username: 'alice',
    password: 'alice-password',
    name: 'Alice Example',
    picture: 'https://avatars.example.test/alice.png',
    email: 'alice@example.test',
    email_verified: true,
    custom_data: {},
    identities: {},
    // Logto organizations (B2B): membership and the organization roles held there.
    organizations: [
      { id: 'org_acme', name: 'Acme Corp', description: 'Where Alice runs the reports', roles: ['admin'] },
      { id: 'org_globex', name: 'Globex', description: null, roles: ['member'] },
    ],
    created_at: FIXED_TIME,
    updated_at: FIXED_TIME,
  },
  {
    sub: 'usr_bob',
    username: 'bob',
    password: 'bob-password',
    name: null,
    picture: null,
    email: null,
    email_verified: false,
    custom_data: {},
    identities: {},
    created_at: FIXED_TIME,
    updated_at: FIXED_TIME,
  },
];

// Logto's username rule.
const USERNAME_RULE = /^[A-Za-z_]\w*$/u;

/** In-memory user directory; accounts created through "Create account" live until exit. */
export class UserStore {
  #bySub = new Map();

  #byUsername = new Map();

  #nextId = 1;

  constructor(users = TEST_USERS) {
    for (const user of users) this.#add({ ...user });
  }

  #add(user) {
    this.#bySub.set(user.sub, user);
    this.#byUsername.set(user.username.toLowerCase(), user);
    return user;
  }

  findBySub(sub) {
    return this.#bySub.get(sub);
  }

  /** The user if the password matches, else undefined (one answer for both mistakes). */
  authenticate(username, password) {
    const user = this.#byUsername.get(String(username).trim().toLowerCase());
    return user && user.password === password ? user : undefined;
  }

  /** The user linked to this social identity (`identities[target].userId`), if any. */
  findByIdentity(target, userId) {
    for (const user of this.#bySub.values()) {
      if (user.identities?.[target]?.userId === userId) return user;
    }
    return undefined;
  }

  /**
   * Sign in with a social identity the way Logto does (packages/core, parseNewSocialProfile):
   * a known identity signs its user in and refreshes `identities[target].details` (name and
   * avatar too when the connector has `syncProfile`); an unknown one registers a new user with
   * name, avatar, email and phone from the mapped profile (email and phone only when no other
   * user has them). Logto would first offer to link an existing user with the same email; this
   * server always registers.
   */
  signInWithSocial(target, userInfo, { syncProfile = false } = {}) {
    const { id, name, avatar, email, phone } = userInfo;
    const identity = { userId: id, details: userInfo };
    const now = Date.now();
    const existing = this.findByIdentity(target, id);
    if (existing) {
      existing.identities = { ...existing.identities, [target]: identity };
      if (syncProfile) {
        if (name) existing.name = name;
        if (avatar) existing.picture = avatar;
      }
      existing.updated_at = now;
      return existing;
    }
    const emailFree = email && ![...this.#bySub.values()].some((user) => user.email === email);
    const phoneFree = phone && ![...this.#bySub.values()].some((user) => user.phone === phone);
    const user = {
      // Logto's user IDs: 12 random lowercase letters and digits.
      sub: randomId(),
      username: null,
      password: undefined,
      name: name ?? null,
      picture: avatar ?? null,
      email: emailFree ? email : null,
      email_verified: Boolean(emailFree),
      phone: phoneFree ? phone : null,
      custom_data: {},
      identities: { [target]: identity },
      created_at: now,
      updated_at: now,
    };
    this.#bySub.set(user.sub, user);
    return user;
  }

  /** Creates a user with only a username, the way Logto's username sign-up does. */
  register(username, password) {
    const name = String(username).trim();
    if (!name || !password) return { error: 'Enter a username and a password.' };
    if (!USERNAME_RULE.test(name)) {
      return {
        error: 'A username starts with a letter or an underscore and contains only letters, '
          + 'digits, underscores, hyphens and dots.',
      };
    }
    if (this.#byUsername.has(name.toLowerCase())) return { error: 'This username is already taken.' };
    const now = Date.now();
    const user = this.#add({
      sub: `usr_new${this.#nextId++}`,
      username: name,
      password,
      name: null,
      picture: null,
      email: null,
      email_verified: false,
      custom_data: {},
      identities: {},
      created_at: now,
      updated_at: now,
    });
    return { user };
  }
}

function randomId() {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  while (id.length < 12) {
    // 252 = 7 * 36: drop the bytes that would make some characters likelier than others.
    for (const byte of randomBytes(16)) if (byte < 252 && id.length < 12) id += alphabet[byte % 36];
  }
  return id;
}
