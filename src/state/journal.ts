import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ExternalReference } from '../protime/api.js';
import type { Intent, StoreData, SubscriptionRecord, Webhook } from './schemas.js';
import type { Store } from './store.js';
import { sameDestination } from '../lifecycle/subscriptions.js';

/** A webhook's creation time may trail our clock a little; older ones were not made by the intent. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface IntentInput {
  kind: Intent['kind'];
  collection: string;
  destinationUrl: string;
  externalReferences: ExternalReference[];
  replaces: string | null;
  /** Ids the server already listed for this collection and destination before the POST. */
  preexisting: string[];
}

/** Writes the intent durably before the POST that may create a webhook. */
export async function openIntent(store: Store, profile: string, input: IntentInput, now: Date): Promise<Intent> {
  const { kind, collection, destinationUrl, externalReferences, replaces, preexisting } = input;
  const intent: Intent = { id: randomUUID(), kind, collection, destinationUrl, externalReferences, replaces, preexisting, startedAt: now.toISOString(), pid: process.pid, host: hostname() };
  await store.update((data) => {
    ((data.intents ??= {})[profile] ??= []).push(intent);
  });
  return intent;
}

/** The POST was answered with a refusal: nothing was created, so nothing is left to look for. */
export async function closeIntent(store: Store, profile: string, intentId: string): Promise<void> {
  await store.update((data) => removeIntent(data, profile, intentId));
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
    const records = (data.subscriptions[profile] ??= {});
    records[record.id] = record;
    removeIntent(data, profile, intentId);
    const old = replaced && records[replaced.id];
    if (old) {
      old.replacedBy = record.id;
      old.keepOld = replaced.keepOld;
    }
  });
}

/**
 * Settles every open intent against the server's list (call inside `store.update`, holding the run
 * lock so no create is in flight, with a list fetched after taking it): an enabled webhook for the
 * intent's collection and destination that no record knows and that was not there before the POST
 * was created by the interrupted run, and is recorded without a key (`adopted`)
 * so that status reports it and renew replaces and deletes it. Returns the adopted ids.
 */
/** What a create's intent must remember of the list it was decided on. */
export function preexistingIds(webhooks: Webhook[], collection: string, destinationUrl: string): string[] {
  return webhooks.filter((w) => w.collectionName === collection && sameDestination(w.destinationUrl, destinationUrl)).map((w) => w.id);
}

export function reconcile(data: StoreData, profile: string, webhooks: Webhook[]): string[] {
  const intents = data.intents?.[profile] ?? [];
  if (intents.length === 0) return [];
  const records = (data.subscriptions[profile] ??= {});
  const adopted: string[] = [];
  for (const intent of intents) {
    for (const webhook of webhooks) {
      if (records[webhook.id] || webhook.status.toLowerCase() === 'disabled' || intent.preexisting?.includes(webhook.id)) continue;
      if (webhook.collectionName !== intent.collection || !sameDestination(webhook.destinationUrl, intent.destinationUrl)) continue;
      const created = typeof webhook.createdAt === 'string' ? Date.parse(webhook.createdAt) : Number.NaN;
      if (!Number.isNaN(created) && created < Date.parse(intent.startedAt) - CLOCK_SKEW_MS) continue;
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

function removeIntent(data: StoreData, profile: string, intentId: string): void {
  const list = data.intents?.[profile];
  if (!list) return;
  const rest = list.filter((intent) => intent.id !== intentId);
  if (rest.length > 0) data.intents![profile] = rest;
  else delete data.intents![profile];
}

/** reconcile() for a caller holding the run lock; writes only when there is something to settle. */
export async function settleIntents(store: Store, profile: string, webhooks: Webhook[]): Promise<string[]> {
  if (!store.read().intents?.[profile]?.length) return [];
  return store.update((data) => reconcile(data, profile, webhooks));
}
