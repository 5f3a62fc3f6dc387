import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Intent, StoreData, SubscriptionRecord } from './schemas.js';
import type { Store } from './store.js';

export interface IntentInput {
  kind: Intent['kind'];
  collection: string;
  destinationUrl: string;
  externalReferences: Intent['externalReferences'];
  replaces: string | null;
  /** Ids the server already listed for this collection and destination before the POST. */
  preexisting: string[];
}

/**
 * Writes intents durably before the POSTs that may create webhooks, several in one write: a renew
 * opens those of all its replacements at once, so no create waits for a write of its own first.
 * An intent whose POST is never sent is harmless: reconciliation finds no webhook it made, and
 * closes it.
 */
export async function openIntents(
  store: Store,
  profile: string,
  inputs: IntentInput[],
  now: Date,
  /** Told the state the intents are written into: what else the caller needs from it, without a read of its own. */
  observe?: (data: StoreData) => void,
): Promise<Intent[]> {
  const intents = inputs.map(
    ({ kind, collection, destinationUrl, externalReferences, replaces, preexisting }): Intent => ({
      id: randomUUID(),
      kind,
      collection,
      destinationUrl,
      externalReferences,
      replaces,
      preexisting,
      startedAt: now.toISOString(),
      pid: process.pid,
      host: hostname(),
    }),
  );
  await store.update((data) => {
    observe?.(data);
    data.intents ??= {};
    data.intents[profile] = [...(data.intents[profile] ?? []), ...intents];
  });
  return intents;
}

/** The POST was answered with a refusal: nothing was created, so nothing is left to look for. */
export async function closeIntent(store: Store, profile: string, intentId: string): Promise<void> {
  await closeIntents(store, profile, [intentId]);
}

/** Intents whose POST was never sent (a run that stopped early): nothing to look for. */
export async function closeIntents(store: Store, profile: string, intentIds: string[]): Promise<void> {
  if (intentIds.length === 0) return;
  await store.update((data) => {
    for (const id of intentIds) removeIntent(data, profile, id);
  });
}

/**
 * In one durable write: the new webhook (with its key) is recorded, its intent closed, and the
 * webhook it replaces marked as replaced (its delete still owed unless kept with --keep-old).
 */
export async function commitCreate(
  store: Store,
  profile: string,
  intentId: string,
  record: SubscriptionRecord,
  replaced?: { id: string; keepOld: boolean; at: string },
): Promise<void> {
  await store.update((data) => {
    const records = data.subscriptions[profile] ?? {};
    data.subscriptions[profile] = records;
    records[record.id] = record;
    removeIntent(data, profile, intentId);
    const old = replaced && records[replaced.id];
    if (old) {
      old.replacedBy = record.id;
      old.keepOld = replaced.keepOld;
    }
  });
}

function removeIntent(data: StoreData, profile: string, intentId: string): void {
  const list = data.intents?.[profile];
  if (!list) return;
  const rest = list.filter((intent) => intent.id !== intentId);
  if (rest.length > 0) data.intents![profile] = rest;
  else delete data.intents![profile];
}
