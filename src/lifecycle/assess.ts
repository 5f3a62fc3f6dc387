import type { WebhookList } from '../protime/api.js';
import type { Webhook } from '../protime/schemas.js';
import type { SubscriptionRecord } from '../state/schemas.js';
import { type SubscriptionState, subscriptionState } from './renewal.js';
import { isLive, renewAfterText } from './subscriptions.js';

/**
 * What assessing a record reads of it: a stored record, or status --offline's index of one (whose
 * `key` only says whether one is held: the key itself stays in the state file).
 */
export type Assessable = Pick<
  SubscriptionRecord,
  'id' | 'collection' | 'destinationUrl' | 'status' | 'validUntil' | 'createdAt' | 'deletedAt' | 'replacedBy'
> & { key?: unknown; deployPending?: unknown };

/** One subscription as status and renew see it: the server's view merged with the local record. */
export interface Assessed<R extends Assessable = SubscriptionRecord> {
  id: string;
  collection: string;
  destinationUrl: string;
  /** Protime's status; the last one seen when offline or unreadable; null when the server no longer lists it. */
  status: string | null;
  validUntil: string;
  secondsLeft: number;
  state: SubscriptionState;
  hasKey: boolean;
  renewAfter: string;
  /** The local record, when there is one (a retired one only for state `replaced`). */
  record?: R;
  /** The server's object, when it listed one. */
  webhook?: Webhook;
  /** State `unreadable` only: what was wrong with the server's item. */
  problem?: string;
}

/**
 * Merges the server list (undefined = offline) with the profile's records. Server webhooks of
 * retired records, and disabled ones we hold nothing for, are history rather than subscriptions.
 */
export function assess<R extends Assessable = SubscriptionRecord>(
  records: Record<string, R> | undefined,
  server: WebhookList | undefined,
  now: Date,
  windowSeconds?: number,
  /** Unrecorded webhooks that open intents prove are this profile's (see claimedByIntents). */
  claimed: Set<string> = new Set(),
): Assessed<R>[] {
  const all = records ?? {};
  const entries: Assessed<R>[] = [];
  /** `replaced` is set, not computed: a replaced webhook is never due, whatever its time. */
  const add = (
    entry: Omit<Assessed<R>, 'secondsLeft' | 'state' | 'renewAfter'>,
    onServer: boolean,
    replaced = false,
    foreign = false,
    unreadable = false,
  ) => {
    const validUntil = new Date(entry.validUntil);
    const createdAt = entry.record?.createdAt;
    // The caller's fresh literal, completed in place: its fields stay first, in order, and a
    // fleet's thousands of entries are not each copied once more.
    const assessed = entry as Assessed<R>;
    assessed.secondsLeft = Math.floor((validUntil.getTime() - now.getTime()) / 1000);
    assessed.state = replaced
      ? 'replaced'
      : subscriptionState({
          foreign,
          now,
          validUntil,
          createdAt: createdAt ? new Date(createdAt) : undefined,
          serverStatus: entry.status ?? undefined,
          onServer,
          unreadable,
          hasKey: entry.hasKey,
          deployPending: Boolean(entry.record?.deployPending),
          windowSeconds,
        });
    assessed.renewAfter = renewAfterText(entry.validUntil, createdAt, replaced ? undefined : windowSeconds);
    entries.push(assessed);
  };
  for (const webhook of server?.webhooks ?? []) {
    const record = all[webhook.id];
    const disabled = webhook.status.toLowerCase() === 'disabled';
    const retired = record !== undefined && !isLive(record);
    // Shown when retired: only a replaced webhook still enabled (its delete owed, or --keep-old).
    if (retired ? !record.replacedBy || Boolean(record.deletedAt) || disabled : !record && disabled) continue;
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
      retired,
      !record && !claimed.has(webhook.id),
    );
  }
  const listed = new Set(server?.webhooks.map((w) => w.id));
  // A record whose item could not be read keeps what it last knew, and is never taken for missing.
  const unread = new Map(server?.unreadable.flatMap((item) => (item.id === null ? [] : [[item.id, item.problem] as const])));
  for (const record of Object.values(all)) {
    if (!isLive(record) || listed.has(record.id)) continue;
    const problem = unread.get(record.id);
    add(
      {
        id: record.id,
        collection: record.collection,
        destinationUrl: record.destinationUrl,
        status: server && problem === undefined ? null : record.status,
        validUntil: record.validUntil,
        hasKey: Boolean(record.key),
        record,
        ...(problem === undefined ? {} : { problem }),
      },
      !server || problem !== undefined,
      false,
      false,
      problem !== undefined,
    );
  }
  return entries;
}
