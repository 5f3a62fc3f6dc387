import type { WebhookList } from '../protime/api.js';
import type { Webhook } from '../protime/schemas.js';
import type { Intent, StoreData } from '../state/schemas.js';
import type { Store } from '../state/store.js';
import { unreadableIds } from './listing.js';
import { sameDestination } from './subscriptions.js';

/** A webhook's creation time may trail our clock a little; older ones were not made by the intent. */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * What a create's intent must remember of the list it was decided on. Unreadable items with an id
 * count whatever their destination: they existed before the POST, so the POST did not make them.
 */
export function preexistingIds(list: WebhookList, collection: string, destinationUrl: string): string[] {
  const same = list.webhooks.filter((w) => w.collectionName === collection && sameDestination(w.destinationUrl, destinationUrl));
  return [...same.map((w) => w.id), ...unreadableIds(list)];
}

/** Whether `webhook`, which no record knows, was created by the interrupted run that left `intent` open. */
function madeBy(intent: Intent, webhook: Webhook): boolean {
  if (webhook.status.toLowerCase() === 'disabled' || intent.preexisting?.includes(webhook.id)) return false;
  if (webhook.collectionName !== intent.collection || !sameDestination(webhook.destinationUrl, intent.destinationUrl)) return false;
  const created = typeof webhook.createdAt === 'string' ? Date.parse(webhook.createdAt) : Number.NaN;
  return Number.isNaN(created) || created >= Date.parse(intent.startedAt) - CLOCK_SKEW_MS;
}

/**
 * Ids of unrecorded webhooks that open intents prove are this profile's, before reconcile() has
 * recorded them (status without the run lock sees them so): owned, their key lost.
 */
export function claimedByIntents(
  intents: Intent[] | undefined,
  records: Record<string, unknown> | undefined,
  webhooks: Webhook[],
): Set<string> {
  const claimed = new Set<string>();
  for (const intent of intents ?? []) {
    for (const webhook of webhooks) if (!records?.[webhook.id] && madeBy(intent, webhook)) claimed.add(webhook.id);
  }
  return claimed;
}

/**
 * Settles every open intent against the server's list (call inside `store.update`, holding the run
 * lock so no create is in flight, with a list fetched after taking it): an enabled webhook for the
 * intent's collection and destination that no record knows and that was not there before the POST
 * was created by the interrupted run, and is recorded without a key (`adopted`)
 * so that status reports it and renew replaces and deletes it. Returns the adopted ids. Intents
 * wait, untouched, while the list holds an unreadable item that no record knows.
 */
export function reconcile(data: StoreData, profile: string, list: WebhookList): string[] {
  const intents = data.intents?.[profile] ?? [];
  if (intents.length === 0) return [];
  const records = data.subscriptions[profile] ?? {};
  // An unreadable item no record knows may be the very webhook an intent made: settling now would
  // close the intent without recording it, and that webhook would pass for foreign from then on.
  if (list.unreadable.some((item) => item.id === null || !Object.hasOwn(records, item.id))) return [];
  const webhooks = list.webhooks;
  data.subscriptions[profile] = records;
  const adopted: string[] = [];
  for (const intent of intents) {
    for (const webhook of webhooks) {
      if (records[webhook.id] || !madeBy(intent, webhook)) continue;
      const created = typeof webhook.createdAt === 'string' ? Date.parse(webhook.createdAt) : Number.NaN;
      records[webhook.id] = {
        id: webhook.id,
        collection: webhook.collectionName,
        destinationUrl: webhook.destinationUrl,
        externalReferences: intent.externalReferences,
        key: null,
        validUntil: new Date(webhook.validUntil).toISOString(),
        createdAt: Number.isNaN(created) ? intent.startedAt : new Date(created).toISOString(),
        status: webhook.status,
        raw: webhook,
        adopted: true,
      };
      adopted.push(webhook.id);
    }
  }
  delete data.intents![profile];
  return adopted;
}

/** reconcile() for a caller holding the run lock; writes only when there is something to settle. */
export async function settleIntents(store: Store, profile: string, list: WebhookList): Promise<string[]> {
  if (!(await store.read()).intents?.[profile]?.length) return [];
  return store.update((data) => reconcile(data, profile, list));
}
