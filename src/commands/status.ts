import { listWebhooks } from '../api.js';
import type { Context } from '../context.js';
import { formatDuration } from '../duration.js';
import { paint, table, type View } from '../output.js';
import { subscriptionState, worstSeverity, type SubscriptionState } from '../renewal.js';
import type { Webhook } from '../schemas.js';
import { checkCollection, liveRecords, renewAfterText } from '../subscriptions.js';

export interface StatusOptions {
  collection?: string;
  /** --renew-within in seconds; replaces the default window. */
  renewWithinSeconds?: number;
  offline: boolean;
}

export interface StatusEntry {
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
}

export interface StatusResult {
  profile: string;
  tenant: string;
  checkedAt: string;
  offline: boolean;
  subscriptions: StatusEntry[];
  summary: { ok: number; renewDue: number; expired: number; disabled: number; missing: number; unknownKey: number };
}

export async function run(options: StatusOptions, ctx: Context): Promise<StatusResult> {
  const collection = options.collection === undefined ? undefined : checkCollection(options.collection);
  const profile = ctx.globals.profile;
  const entry = ctx.profileEntry();
  const data = ctx.store.read();
  const now = ctx.now();
  const records = liveRecords(data.subscriptions[profile]);
  const deleted = new Set(Object.values(data.subscriptions[profile] ?? {}).filter((r) => r.deletedAt).map((r) => r.id));
  const server = options.offline ? undefined : await listWebhooks(ctx.client());
  const window = options.renewWithinSeconds;

  const entries: StatusEntry[] = [];
  const add = (base: Omit<StatusEntry, 'secondsLeft' | 'state' | 'renewAfter'>, createdAt: string | undefined, onServer: boolean) => {
    const validUntil = new Date(base.validUntil);
    const state = subscriptionState({
      now,
      validUntil,
      createdAt: createdAt ? new Date(createdAt) : undefined,
      serverStatus: base.status ?? undefined,
      onServer,
      hasKey: base.hasKey,
      windowSeconds: window,
    });
    entries.push({ ...base, secondsLeft: Math.floor((validUntil.getTime() - now.getTime()) / 1000), state, renewAfter: renewAfterText(base.validUntil, createdAt, window) });
  };

  const byId = new Map(records.map((r) => [r.id, r]));
  if (server) {
    for (const webhook of server) {
      const record = byId.get(webhook.id);
      if (!record && (deleted.has(webhook.id) || isDead(webhook))) continue;
      add(fromServer(webhook, Boolean(record?.key)), record?.createdAt, true);
    }
  }
  const onServer = new Set(server?.map((w) => w.id));
  for (const record of records) {
    if (server && onServer.has(record.id)) continue;
    const base = { id: record.id, collection: record.collection, destinationUrl: record.destinationUrl, status: server ? null : record.status, validUntil: record.validUntil, hasKey: Boolean(record.key) };
    add(base, record.createdAt, !server);
  }

  const shown = entries.filter((e) => !collection || e.collection === collection).sort(byUrgency);
  const count = (state: SubscriptionState) => shown.filter((e) => e.state === state).length;
  return {
    profile,
    tenant: entry.tenant,
    checkedAt: now.toISOString(),
    offline: options.offline,
    subscriptions: shown,
    summary: { ok: count('ok'), renewDue: count('renew-due'), expired: count('expired'), disabled: count('disabled'), missing: count('missing'), unknownKey: count('unknown-key') },
  };
}

/** A disabled webhook we hold nothing for is someone else's history, not a subscription to watch. */
function isDead(webhook: Webhook): boolean {
  return webhook.status.toLowerCase() === 'disabled';
}

function fromServer(webhook: Webhook, hasKey: boolean) {
  return { id: webhook.id, collection: webhook.collectionName, destinationUrl: webhook.destinationUrl, status: webhook.status, validUntil: new Date(webhook.validUntil).toISOString(), hasKey };
}

const ORDER: SubscriptionState[] = ['missing', 'disabled', 'expired', 'unknown-key', 'renew-due', 'ok'];
function byUrgency(a: StatusEntry, b: StatusEntry): number {
  return ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || a.validUntil.localeCompare(b.validUntil);
}

export function exitKind(result: StatusResult) {
  return worstSeverity(result.subscriptions.map((s) => s.state));
}

const STATE_STYLE: Record<SubscriptionState, 'green' | 'yellow' | 'red'> = {
  ok: 'green', 'renew-due': 'yellow', 'unknown-key': 'yellow', expired: 'red', disabled: 'red', missing: 'red',
};

export function render(result: StatusResult, view: View): string {
  return table(
    view,
    ['ID', 'COLLECTION', 'DESTINATION', 'STATE', 'VALID UNTIL', 'LEFT', 'RENEW AFTER', 'KEY'],
    result.subscriptions.map((s) => [
      s.id,
      s.collection,
      s.destinationUrl,
      paint(view, STATE_STYLE[s.state], s.state),
      s.validUntil,
      formatDuration(s.secondsLeft),
      s.renewAfter,
      s.hasKey ? 'held' : paint(view, 'yellow', 'missing'),
    ]),
  );
}

/** One line for stderr: what the table means at a glance. */
export function summarize(result: StatusResult): string {
  const s = result.summary;
  if (result.subscriptions.length === 0) {
    return `No subscriptions for profile "${result.profile}". Create one with: protime-hooks subscribe contracts --url https://...`;
  }
  const parts = [
    [s.ok, 'ok'], [s.renewDue, 'renew-due'], [s.unknownKey, 'unknown-key'], [s.expired, 'expired'], [s.disabled, 'disabled'], [s.missing, 'missing'],
  ].filter(([n]) => (n as number) > 0).map(([n, label]) => `${n} ${label}`);
  const advice = s.expired + s.disabled + s.missing > 0
    ? ' Expired, disabled or missing webhooks missed events: re-sync the collection, then `protime-hooks renew --recreate`.'
    : s.renewDue + s.unknownKey > 0 ? ' Run `protime-hooks renew` to replace what is due.' : '';
  return `${result.subscriptions.length} subscription(s): ${parts.join(', ')}${result.offline ? ' (offline: from local records)' : ''}.${advice}`;
}
