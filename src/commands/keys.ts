import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { acceptedKeys, DEFAULT_KEYS_FILE_MODE, type KeyEntry, syncKeysFile, writeKeysFile } from '../lifecycle/keys.js';
import { checkCollection } from '../lifecycle/subscriptions.js';
import { table, type View } from '../shared/output.js';

export type { KeyEntry };

export interface KeysOptions {
  collection?: string;
  /** Write the document to this file (atomically, 0600) instead of printing it. */
  output?: string;
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
    writeKeysFile(path, keys, DEFAULT_KEYS_FILE_MODE);
    written.add(keys);
    ctx.log.info(`Wrote ${keys.length} key(s) to ${path}.`);
  }
  return keys;
}

export function render(result: KeyEntry[], view: View): string {
  if (written.has(result)) return '';
  return table(
    view,
    ['ID', 'COLLECTION', 'DESTINATION', 'KEY', 'VALID UNTIL', 'CURRENT'],
    result.map((k) => [k.id, k.collection, k.destinationUrl, k.key, k.validUntil, k.current ? 'yes' : 'no (replaced)']),
  );
}
