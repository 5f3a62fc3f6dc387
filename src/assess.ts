import { subscriptionState, type SubscriptionState } from './renewal.js';
import type { SubscriptionRecord, Webhook } from './schemas.js';
import { isLive, renewAfterText } from './subscriptions.js';

/** One subscription as status and renew see it: the server's view merged with the local record. */
export interface Assessed {
  id: string;
  collection: string;
  destinationUrl: string;
  /** Protime's status; the last one seen when offline; null when the server no longer lists it. */
  status: string | null;
  validUntil: string;
  secondsLeft: number;
  state: SubscriptionState;
  hasKey: boolean;
  renewAfter: string;
  /** The live local record, when there is one. */
  record?: SubscriptionRecord;
  /** The server's object, when it listed one. */
  webhook?: Webhook;
}

/**
 * Merges the server list (undefined = offline) with the profile's records. Server webhooks of
 * retired records, and disabled ones we hold nothing for, are history rather than subscriptions.
 */
export function assess(records: Record<string, SubscriptionRecord> | undefined, server: Webhook[] | undefined, now: Date, windowSeconds?: number): Assessed[] {
  const all = records ?? {};
  const entries: Assessed[] = [];
  const add = (entry: Omit<Assessed, 'secondsLeft' | 'state' | 'renewAfter'>, onServer: boolean) => {
    const validUntil = new Date(entry.validUntil);
    const createdAt = entry.record?.createdAt;
    entries.push({
      ...entry,
      secondsLeft: Math.floor((validUntil.getTime() - now.getTime()) / 1000),
      state: subscriptionState({ now, validUntil, createdAt: createdAt ? new Date(createdAt) : undefined, serverStatus: entry.status ?? undefined, onServer, hasKey: entry.hasKey, windowSeconds }),
      renewAfter: renewAfterText(entry.validUntil, createdAt, windowSeconds),
    });
  };
  for (const webhook of server ?? []) {
    const known = all[webhook.id];
    const record = known && isLive(known) ? known : undefined;
    if (known && !record) {
      if (known.replacedBy && !known.deletedAt && webhook.status.toLowerCase() !== 'disabled') entries.push(replacedEntry(known, webhook, now));
      continue;
    }
    if (!record && webhook.status.toLowerCase() === 'disabled') continue;
    add(
      {
        id: webhook.id,
        collection: webhook.collectionName,
        destinationUrl: webhook.destinationUrl,
        status: webhook.status,
        validUntil: new Date(webhook.validUntil).toISOString(),
        hasKey: Boolean(record?.key),
        record,
        webhook,
      },
      true,
    );
  }
  const listed = new Set(server?.map((w) => w.id));
  for (const record of Object.values(all)) {
    if (!isLive(record) || listed.has(record.id)) continue;
    add(
      { id: record.id, collection: record.collection, destinationUrl: record.destinationUrl, status: server ? null : record.status, validUntil: record.validUntil, hasKey: Boolean(record.key), record },
      !server,
    );
  }
  return entries;
}

function replacedEntry(record: SubscriptionRecord, webhook: Webhook, now: Date): Assessed {
  const validUntil = new Date(webhook.validUntil);
  return {
    id: webhook.id,
    collection: webhook.collectionName,
    destinationUrl: webhook.destinationUrl,
    status: webhook.status,
    validUntil: validUntil.toISOString(),
    secondsLeft: Math.floor((validUntil.getTime() - now.getTime()) / 1000),
    state: 'replaced',
    hasKey: Boolean(record.key),
    renewAfter: renewAfterText(validUntil.toISOString(), record.createdAt),
    record,
    webhook,
  };
}
