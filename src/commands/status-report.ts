// What status reports, apart from how it gets it: shared by the command and by status --offline's
// fast path (cli/fast-status.ts), so both print the same thing. Nothing here loads cli-table3, zod or the store.
import type { Assessable, Assessed } from '../lifecycle/assess.js';
import { type DeleteFailing, deleteFailing } from '../lifecycle/delete-failing.js';
import { type SubscriptionState, worstSeverity } from '../lifecycle/renewal.js';
import type { UnreadableWebhook, WebhookList } from '../protime/api.js';
import { formatDuration } from '../shared/duration.js';
import { type Column, paint, shortId, shortTime, type View } from '../shared/text-table.js';

export type StatusEntry = Omit<Assessed, 'record' | 'webhook'> & {
  /** A replaced webhook whose owed delete has failed: for monitoring; null otherwise. */
  deleteFailing: DeleteFailing | null;
};

export interface StatusResult {
  profile: string;
  tenant: string;
  checkedAt: string;
  offline: boolean;
  subscriptions: StatusEntry[];
  /** Items of the server's list that could not be read (skipped; any with a record's id is state `unreadable`). */
  unreadable: UnreadableWebhook[];
  summary: {
    ok: number;
    renewDue: number;
    expired: number;
    disabled: number;
    missing: number;
    unknownKey: number;
    replaced: number;
    deployPending: number;
    foreign: number;
    /** Entries whose deleteFailing is set. */
    deleteFailing: number;
    unreadable: number;
  };
}

/** Results whose table leaves foreign webhooks out (no --all); JSON lists them regardless. */
const foreignHidden = new WeakSet<StatusResult>();

export interface StatusFacts {
  profile: string;
  tenant: string;
  now: Date;
  offline: boolean;
  /** Show foreign webhooks in the table too. */
  all?: boolean;
  /** Only this collection's entries. */
  collection?: string;
  /** The server's list; undefined offline. */
  server?: WebhookList;
}

/** The result of assessed entries: shown in order of urgency, counted by state. */
export function statusResult<R extends Assessable>(
  { profile, tenant, now, offline, all, collection, server }: StatusFacts,
  entries: Assessed<R>[],
): StatusResult {
  const chosen = collection ? entries.filter((e) => e.collection === collection) : entries;
  const shown = chosen.sort(byUrgency).map(({ record, webhook: _webhook, ...rest }) => ({ ...rest, deleteFailing: deleteFailing(record) }));
  // One pass: a fleet's status counts thousands of entries, once per run.
  const counts = new Map<SubscriptionState, number>();
  let failingDeletes = 0;
  for (const e of shown) {
    counts.set(e.state, (counts.get(e.state) ?? 0) + 1);
    if (e.deleteFailing) failingDeletes++;
  }
  const result: StatusResult = {
    profile,
    tenant,
    checkedAt: now.toISOString(),
    offline,
    subscriptions: shown,
    unreadable: server?.unreadable ?? [],
    summary: summaryOf(counts, failingDeletes),
  };
  if (!all) foreignHidden.add(result);
  return result;
}

/** The summary's counts, from the number of entries in each state. */
export function summaryOf(counts: ReadonlyMap<SubscriptionState, number>, failingDeletes: number): StatusResult['summary'] {
  const count = (state: SubscriptionState) => counts.get(state) ?? 0;
  return {
    ok: count('ok'),
    renewDue: count('renew-due'),
    expired: count('expired'),
    disabled: count('disabled'),
    missing: count('missing'),
    unknownKey: count('unknown-key'),
    replaced: count('replaced'),
    deployPending: count('deploy-pending'),
    foreign: count('foreign'),
    deleteFailing: failingDeletes,
    unreadable: count('unreadable'),
  };
}

/** Most urgent first: the table's order, and the fast path's. */
export const ORDER: SubscriptionState[] = [
  'missing',
  'disabled',
  'expired',
  'unreadable',
  'unknown-key',
  'deploy-pending',
  'renew-due',
  'ok',
  'replaced',
  'foreign',
];
function byUrgency(a: Pick<Assessed, 'state' | 'validUntil'>, b: Pick<Assessed, 'state' | 'validUntil'>): number {
  // ISO instants sort as text; a plain comparison, since localeCompare costs an ICU call each time.
  return ORDER.indexOf(a.state) - ORDER.indexOf(b.state) || (a.validUntil < b.validUntil ? -1 : a.validUntil > b.validUntil ? 1 : 0);
}

export function exitKind(result: StatusResult) {
  return worstSeverity(result.subscriptions.map((s) => s.state));
}

const STATE_STYLE: Record<SubscriptionState, 'green' | 'yellow' | 'red' | 'gray'> = {
  ok: 'green',
  replaced: 'gray',
  foreign: 'gray',
  'renew-due': 'yellow',
  'unknown-key': 'yellow',
  'deploy-pending': 'yellow',
  expired: 'red',
  disabled: 'red',
  missing: 'red',
  unreadable: 'red',
};

/** In a narrow terminal: short ids and times, then RENEW AFTER, KEY and VALID UNTIL go (LEFT and STATE say it). */
export const COLUMNS: Column[] = [
  { head: 'ID', short: shortId },
  { head: 'COLLECTION' },
  { head: 'DESTINATION', wrap: true },
  { head: 'STATE' },
  { head: 'VALID UNTIL', short: shortTime, drop: 3 },
  { head: 'LEFT' },
  { head: 'RENEW AFTER', short: shortTime, drop: 1 },
  { head: 'KEY', drop: 2 },
];

/** The table's rows: foreign webhooks only with --all. */
export function statusRows(result: StatusResult, view: View): string[][] {
  return result.subscriptions
    .filter((s) => !(foreignHidden.has(result) && s.state === 'foreign'))
    .map((s) => [
      s.id,
      s.collection,
      s.destinationUrl,
      paint(view, STATE_STYLE[s.state], s.state),
      s.validUntil,
      formatDuration(s.secondsLeft),
      s.renewAfter,
      s.hasKey ? 'held' : paint(view, 'yellow', 'missing'),
    ]);
}

/** One line for stderr: what the table means at a glance. */
export function summarize(result: StatusResult): string {
  return summaryLine(result.summary, result.subscriptions.length, result.profile, result.offline, foreignHidden.has(result));
}

/** summarize's line from the counts alone (the fast path has no entries to hand). */
export function summaryLine(s: StatusResult['summary'], total: number, profile: string, offline: boolean, foreignHidden: boolean): string {
  const own = total - s.foreign;
  const foreign =
    s.foreign > 0
      ? ` ${s.foreign} other webhook(s) on the tenant belong to other profiles or tools${foreignHidden ? ' (`status --all` lists them)' : ''}; they are left alone.`
      : '';
  if (own === 0) {
    return `No subscriptions for profile "${profile}". Create one with: protime-hooks subscribe contracts --url https://...${foreign}`;
  }
  const parts = [
    [s.ok, 'ok'],
    [s.replaced, 'replaced'],
    [s.renewDue, 'renew-due'],
    [s.unknownKey, 'unknown-key'],
    [s.deployPending, 'deploy-pending'],
    [s.expired, 'expired'],
    [s.disabled, 'disabled'],
    [s.missing, 'missing'],
    [s.unreadable, 'unreadable'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, label]) => `${n} ${label}`);
  const unread =
    s.unreadable > 0
      ? " Protime's list held unreadable webhook(s) of this profile (named above): they are left alone until Protime lists them properly."
      : '';
  const advice =
    s.expired + s.disabled + s.missing > 0
      ? ' Expired, disabled or missing webhooks missed events: re-sync the collection, then `protime-hooks renew --recreate`.'
      : s.renewDue + s.unknownKey + s.deployPending > 0
        ? s.deployPending > 0
          ? ' A deploy hook or the keys file did not get a new key: fix it, then `protime-hooks renew` hands the key over again.'
          : ' Run `protime-hooks renew` to replace what is due.'
        : '';
  const undeleted =
    s.deleteFailing > 0
      ? ` ${s.deleteFailing} replaced webhook(s) could not be deleted yet (see deleteFailing in --json); \`protime-hooks renew\` tries again.`
      : '';
  return `${own} subscription(s): ${parts.join(', ')}${offline ? ' (offline: from local records)' : ''}.${unread}${advice}${undeleted}${foreign}`;
}
