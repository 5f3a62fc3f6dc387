import type { StoreData } from './schemas.js';
import { isSealed, keyMissing, open, STORE_KEY_VARIABLE, type StoreKey, seal, sealedKeyId } from './seal.js';
import type { Store } from './store.js';
import { SEALED_STORE_VERSION } from './versions.js';

/** One secret of a state: `owner[field]`; `json` ones (a create answer) are sealed as their JSON text. */
interface Slot {
  owner: Record<string, unknown>;
  field: string;
  json: boolean;
}

const slot = (owner: object, field: string, json = false): Slot => ({ owner: owner as Record<string, unknown>, field, json });

/**
 * Every secret a state holds: client secrets, cached access tokens, webhook keys (current and
 * replaced records alike), and the create answers kept beside them, which hold the key too.
 */
export function secretSlots(data: StoreData): Slot[] {
  const slots: Slot[] = [];
  for (const profile of Object.values(data.profiles)) {
    if (typeof profile.clientSecret === 'string') slots.push(slot(profile, 'clientSecret'));
    if (profile.token) slots.push(slot(profile.token, 'accessToken'));
  }
  for (const records of Object.values(data.subscriptions)) {
    for (const record of Object.values(records)) {
      if (typeof record.key === 'string') slots.push(slot(record, 'key'));
      if (record.raw !== undefined) slots.push(slot(record, 'raw', true));
    }
  }
  const answers = (data as { unreadableAnswers?: unknown }).unreadableAnswers;
  for (const answer of Array.isArray(answers) ? answers : []) {
    if (answer && typeof answer === 'object' && (answer as { body?: unknown }).body !== undefined) slots.push(slot(answer, 'body', true));
  }
  return slots;
}

export interface SealedStoreOptions {
  /**
   * Without a key: said once (as a warning) after the first update that writes a secret, for a
   * backend where clear text is worth a word (a database others may read or back up).
   */
  clearWarning?: string;
}

/**
 * A store whose secrets are sealed at rest with the store key (AES-256-GCM, see seal.ts), whatever
 * the backend underneath: commands and the lifecycle read and write plain values through it.
 *
 * - With a key, every secret is sealed on each write (a value read sealed is written back as it
 *   was); secrets found in clear are sealed by the next write, said once through `notice`.
 * - Without a key, secrets are written as they are (`clearWarning` then said once); a state holding a sealed value is refused (`store-key-missing`), reads and
 *   updates alike, before any change runs: nothing is written.
 * - A state holding sealed values is marked format 2, which versions that cannot open them refuse
 *   to read (rather than use sealed text as a secret).
 */
export function sealedStore(
  inner: Store,
  key: StoreKey | undefined,
  notice: (message: string, level?: 'info' | 'warn') => void,
  options: SealedStoreOptions = {},
): Store {
  const where = inner.location;
  // Opening thousands of keys on every update would cost more than the write itself.
  const plainOf = new Map<string, string>();
  // Where each secret handed out in clear came from: one unchanged is written back as it was read.
  const readAs = new WeakMap<object, Map<string, { text: string; sealed: string }>>();
  let told = false;
  let warnedClear = false;

  const openOne = (sealed: string): string => {
    let plain = plainOf.get(sealed);
    if (plain === undefined) {
      plain = open(sealed, key, where);
      plainOf.set(sealed, plain);
    }
    return plain;
  };

  // A backend hands out one shared snapshot per version of the state: checked once, not per read.
  const checkedPlain = new WeakSet<StoreData>();

  /** The state with its secrets open (a copy when there is a key); `plain`: some were in clear. */
  const opened = (stored: StoreData): { data: StoreData; plain: boolean } => {
    if (!key) {
      if (checkedPlain.has(stored)) return { data: stored, plain: false };
      const sealed = secretSlots(stored).find((s) => isSealed(s.owner[s.field]));
      if (sealed) throw keyMissing(where, sealedKeyId(sealed.owner[sealed.field] as string));
      checkedPlain.add(stored);
      return { data: stored, plain: false };
    }
    const data = structuredClone(stored);
    let plain = false;
    for (const { owner, field, json } of secretSlots(data)) {
      const value = owner[field];
      if (!isSealed(value)) {
        plain = true;
        continue;
      }
      const text = openOne(value);
      owner[field] = json ? JSON.parse(text) : text;
      const fields = readAs.get(owner) ?? new Map();
      fields.set(field, { text, sealed: value });
      readAs.set(owner, fields);
    }
    return { data, plain };
  };

  /** Replaces `stored`'s contents with a copy of `data`, its secrets sealed. */
  const sealInto = (stored: StoreData, data: StoreData, storeKey: StoreKey): void => {
    const sealedValues = secretSlots(data).map(({ owner, field, json }) => {
      const text = json ? JSON.stringify(owner[field]) : (owner[field] as string);
      if (text === undefined) return undefined;
      const before = readAs.get(owner)?.get(field);
      return before?.text === text ? before.sealed : seal(text, storeKey);
    });
    const sealed = structuredClone(data);
    // The copy has the same shape, so its slots come in the same order.
    for (const [i, { owner, field }] of secretSlots(sealed).entries()) {
      const value = sealedValues[i];
      if (value !== undefined) owner[field] = value;
    }
    if (sealedValues.some((v) => v !== undefined)) sealed.schemaVersion = Math.max(sealed.schemaVersion, SEALED_STORE_VERSION);
    for (const name of Object.keys(stored)) delete (stored as Record<string, unknown>)[name];
    Object.assign(stored, sealed);
  };

  return {
    location: where,
    read: async () => opened(await inner.read()).data,
    async update(change) {
      let sealedClear = false;
      let wroteClear = false;
      const result = await inner.update(async (stored) => {
        const { data, plain } = opened(stored);
        if (!key) {
          if (!options.clearWarning || warnedClear) return change(data);
          const before = new Set(secretTexts(data));
          const value = await change(data);
          wroteClear = secretTexts(data).some((text) => !before.has(text));
          return value;
        }
        // The caller's result may hold parts of `data`: they stay plain, `stored` gets a sealed copy.
        const value = await change(data);
        sealInto(stored, data, key);
        sealedClear ||= plain;
        return value;
      });
      if (wroteClear && options.clearWarning && !warnedClear) {
        warnedClear = true;
        notice(options.clearWarning, 'warn');
      }
      if (sealedClear && key && !told) {
        told = true;
        notice(`The secrets in ${where} were stored in clear; they are encrypted now with ${STORE_KEY_VARIABLE} (key id ${key.id}).`);
      }
      return result;
    },
    runLock: (profile, command, lockOptions) => inner.runLock(profile, command, lockOptions),
    health: inner.health && (() => inner.health!()),
    // The index holds no secret; the file store writes none for a state with sealed ones.
    indexStatus: inner.indexStatus && ((make) => inner.indexStatus!(make)),
    close: async () => inner.close?.(),
  };
}

/** The secrets of a state as text, to tell whether a change wrote a new one. */
function secretTexts(data: StoreData): string[] {
  return secretSlots(data).flatMap(({ owner, field, json }) => {
    const value = owner[field];
    if (value === undefined || value === null) return [];
    return [json ? JSON.stringify(value) : String(value)];
  });
}
