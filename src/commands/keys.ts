import type { Context } from '../context.js';
import { checkCollection, isLive } from '../lifecycle/subscriptions.js';
import { table, type View } from '../shared/output.js';

export interface KeysOptions {
  collection?: string;
}

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

/** The keys a receiver must accept, from local records only (no network): what to load after a renew. */
export async function run(options: KeysOptions, ctx: Context): Promise<KeyEntry[]> {
  const collection = options.collection === undefined ? undefined : checkCollection(options.collection);
  await ctx.profileEntry();
  const now = ctx.now().getTime();
  return (
    Object.values((await ctx.store.read()).subscriptions[ctx.globals.profile] ?? {})
      // Replaced webhooks may still deliver (retries, --keep-old) until they expire.
      .filter((r) => r.key && Date.parse(r.validUntil) > now && (isLive(r) || Boolean(r.replacedBy)))
      .filter((r) => !collection || r.collection === collection)
      .map((r) => ({
        id: r.id,
        collection: r.collection,
        destinationUrl: r.destinationUrl,
        key: r.key!,
        validUntil: r.validUntil,
        current: isLive(r),
      }))
      .sort((a, b) => a.destinationUrl.localeCompare(b.destinationUrl) || Number(b.current) - Number(a.current))
  );
}

export function render(result: KeyEntry[], view: View): string {
  return table(
    view,
    ['ID', 'COLLECTION', 'DESTINATION', 'KEY', 'VALID UNTIL', 'CURRENT'],
    result.map((k) => [k.id, k.collection, k.destinationUrl, k.key, k.validUntil, k.current ? 'yes' : 'no (replaced)']),
  );
}
