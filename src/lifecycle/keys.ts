import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Context } from '../context.js';
import { writeFileAtomic } from '../shared/atomic-file.js';
import { failure } from '../shared/errors.js';
import type { ProfileEntry, StoreData, SubscriptionRecord } from '../state/schemas.js';
import { isLive } from './subscriptions.js';

/** A key a receiver should accept now: the current webhook's, and a replaced one's until it expires. */
export interface KeyEntry {
  id: string;
  collection: string;
  destinationUrl: string;
  key: string;
  validUntil: string;
  /** False for a replaced webhook that may still deliver until validUntil. */
  current: boolean;
}

export const DEFAULT_KEYS_FILE_MODE = 0o600;

/** The keys a receiver must accept at `now`, from local records only: the `keys --json` document. */
export function acceptedKeys(records: Record<string, SubscriptionRecord> | undefined, now: Date, collection?: string): KeyEntry[] {
  const at = now.getTime();
  return (
    Object.values(records ?? {})
      // Replaced webhooks may still deliver (retries, --keep-old) until they expire.
      .filter((r) => r.key && Date.parse(r.validUntil) > at && (isLive(r) || Boolean(r.replacedBy)))
      .filter((r) => !collection || r.collection === collection)
      .map((r) => ({
        id: r.id,
        collection: r.collection,
        destinationUrl: r.destinationUrl,
        key: r.key!,
        validUntil: r.validUntil,
        current: isLive(r),
      }))
      .sort((a, b) => a.destinationUrl.localeCompare(b.destinationUrl) || Number(b.current) - Number(a.current) || a.id.localeCompare(b.id))
  );
}

/** The document as it is printed and written: the same text as `keys --json`. */
export function keysDocument(keys: KeyEntry[]): string {
  return `${JSON.stringify(keys, null, 2)}\n`;
}

/** The profile's keys file: PROTIME_HOOKS_KEYS_FILE over the one saved by login; undefined for none. */
export function keysFileOf(ctx: Pick<Context, 'env'>, entry: ProfileEntry | undefined): { path: string; mode: number } | undefined {
  const path = ctx.env.PROTIME_HOOKS_KEYS_FILE || entry?.keysFile;
  return path ? { path: resolve(path), mode: entry?.keysFileMode ?? DEFAULT_KEYS_FILE_MODE } : undefined;
}

/** Writes the keys document atomically; a folder that does not exist is the user's to create. */
export async function writeKeysFile(path: string, keys: KeyEntry[], mode: number): Promise<void> {
  try {
    await writeFileAtomic(path, keysDocument(keys), mode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw failure(
      'keys-file',
      `Cannot write the keys file ${path}: ${code === 'ENOENT' ? `the folder ${dirname(path)} does not exist` : (error as Error).message}.`,
      {
        hint: 'Create the folder, or change it with `protime-hooks login --keys-file <path>`.',
        cause: error,
      },
    );
  }
}

/**
 * Brings the profile's keys file up to date when the accepted set differs from what it holds:
 * after a create or a delete, and when a replaced key has passed its validUntil (time alone
 * changes the set, so any command may notice). A file already right is not touched.
 */
export async function syncKeysFile(ctx: Context, snapshot?: StoreData): Promise<void> {
  // A caller that has just read the store passes what it read: one read less at start-up.
  const data = snapshot ?? (await ctx.store.read());
  const entry = data.profiles[ctx.globals.profile];
  const target = keysFileOf(ctx, entry);
  if (!target) return;
  const keys = acceptedKeys(data.subscriptions[ctx.globals.profile], ctx.now());
  if (current(target.path) === keysDocument(keys) && modeOf(target.path) === target.mode) return;
  await writeKeysFile(target.path, keys, target.mode);
}

function current(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return undefined;
  }
}
