import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { acceptedKeys, DEFAULT_KEYS_FILE_MODE, type KeyEntry, syncKeysFile, writeKeysFile } from '../lifecycle/keys.js';
import { checkCollection } from '../lifecycle/subscriptions.js';
import { type Column, shortId, shortTime, table, type View } from '../shared/output.js';

export type { KeyEntry };

export interface KeysOptions {
  collection?: string;
  /** Write the document to this file (atomically, 0600) instead of printing it. */
  output?: string;
  /** Handled by the CLI: the same run for every stored profile. */
  allProfiles?: boolean;
}

/** Set on a result that was written to --output, so nothing is printed for people. */
const written = new WeakSet<KeyEntry[]>();

/** The keys a receiver must accept, from local records only (no network): what to load after a renew. */
export async function run(options: KeysOptions, ctx: Context): Promise<KeyEntry[]> {
  const collection = options.collection === undefined ? undefined : checkCollection(options.collection);
  await ctx.profileEntry();
  const data = await ctx.store.read();
  const keys = acceptedKeys(data.subscriptions[ctx.globals.profile], ctx.now(), collection);
  await syncKeysFile(ctx, data);
  if (options.output) {
    const path = resolve(options.output);
    await writeKeysFile(path, keys, DEFAULT_KEYS_FILE_MODE);
    written.add(keys);
    ctx.log.info(`Wrote ${keys.length} key(s) to ${path}.`);
  }
  return keys;
}

/** In a narrow terminal: short ids and times, then VALID UNTIL goes; a key wraps, it is never cut. */
const COLUMNS: Column[] = [
  { head: 'ID', short: shortId },
  { head: 'COLLECTION' },
  { head: 'DESTINATION', wrap: true },
  { head: 'KEY', wrap: true },
  { head: 'VALID UNTIL', short: shortTime, drop: 1 },
  { head: 'CURRENT', short: (cell) => cell.replace(' (replaced)', '') },
];

export function render(result: KeyEntry[], view: View): string {
  if (written.has(result)) return '';
  return table(
    view,
    COLUMNS,
    result.map((k) => [k.id, k.collection, k.destinationUrl, k.key, k.validUntil, k.current ? 'yes' : 'no (replaced)']),
  );
}
