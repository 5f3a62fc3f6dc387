import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { authError, failure, usageError } from '../shared/errors.js';

/** The variable that holds the store key; every message about the key names it. */
export const STORE_KEY_VARIABLE = 'PROTIME_HOOKS_STORE_KEY';

/** The key that seals secrets at rest: 32 bytes, and its id (stored beside every value it sealed). */
export interface StoreKey {
  /** First 8 bytes of the key's SHA-256, hex: names the key without revealing it, for rotation later. */
  readonly id: string;
  readonly bytes: Buffer;
}

/**
 * A sealed value is one string, so every field keeps its type and a backend stores it as text:
 * `phk-sealed:1:<key id>:<nonce>:<ciphertext><tag>` (AES-256-GCM, nonce and the rest base64url).
 */
const PREFIX = 'phk-sealed:1:';
const SEALED = /^phk-sealed:1:([0-9a-f]{16}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * PROTIME_HOOKS_STORE_KEY, checked: 32 bytes in base64 (standard or URL-safe, padding optional).
 * Unset or empty: undefined (secrets are stored as they are). Anything else is a usage error that
 * never repeats the value.
 */
export function parseStoreKey(text: string | undefined): StoreKey | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = text.trim();
  // Node's base64 decoder reads the URL-safe alphabet too.
  const bytes = /^[A-Za-z0-9+/_-]{43}=?$/.test(value) ? Buffer.from(value, 'base64') : undefined;
  if (bytes?.length !== 32) {
    throw usageError(
      'bad-store-key',
      `${STORE_KEY_VARIABLE} must be 32 random bytes in base64 (44 characters); the value set is not.`,
      `Make one with \`openssl rand -base64 32\` (or \`node -e "console.log(crypto.randomBytes(32).toString('base64'))"\`) and keep it in your secret manager: without it the secrets in the store cannot be read.`,
    );
  }
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 16), bytes };
}

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX) && SEALED.test(value);
}

/** The key id a sealed value names. */
export function sealedKeyId(value: string): string {
  return value.slice(PREFIX.length, PREFIX.length + 16);
}

/** Seals `plain` with a fresh random nonce. */
export function seal(plain: string, key: StoreKey): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, nonce);
  // The key id is authenticated too: a value cannot be relabelled as another key's.
  cipher.setAAD(Buffer.from(key.id));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${key.id}:${nonce.toString('base64url')}:${body.toString('base64url')}`;
}

/**
 * Opens a sealed value. No key: `store-key-missing`; another key: `store-key-wrong` (both exit 4,
 * naming the variable); the right key but a value that fails GCM's check: `store-invalid`.
 * `where` names the store in messages.
 */
export function open(sealed: string, key: StoreKey | undefined, where: string): string {
  const [, id, nonce, body] = SEALED.exec(sealed) ?? [];
  if (!id || !nonce || !body) throw damaged(where);
  if (!key) throw keyMissing(where, id);
  if (key.id !== id) throw keyWrong(where, id, key.id);
  const bytes = Buffer.from(body, 'base64url');
  if (bytes.length < TAG_BYTES) throw damaged(where);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw damaged(where);
  }
}

export function keyMissing(where: string, id: string) {
  return authError('store-key-missing', `The secrets in ${where} are encrypted (key id ${id}), but ${STORE_KEY_VARIABLE} is not set.`, {
    hint: `Set ${STORE_KEY_VARIABLE} to the store key they were encrypted with. Nothing was changed.`,
  });
}

function keyWrong(where: string, id: string, given: string) {
  return authError(
    'store-key-wrong',
    `${STORE_KEY_VARIABLE} is not the key the secrets in ${where} were encrypted with (they need key id ${id}; this key's id is ${given}).`,
    { hint: `Set ${STORE_KEY_VARIABLE} to the store key they were encrypted with. Nothing was changed.` },
  );
}

function damaged(where: string) {
  return failure('store-invalid', `An encrypted value in ${where} is damaged: it fails its integrity check.`, {
    hint: 'It was left untouched. Restore the store from a backup.',
  });
}
