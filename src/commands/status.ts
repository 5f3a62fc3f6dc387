import type { Context } from '../context.js';
import { type Assessed, assess } from '../lifecycle/assess.js';
import { syncKeysFile } from '../lifecycle/keys.js';
import { readList } from '../lifecycle/listing.js';
import { type DeleteFailing, deleteFailing } from '../lifecycle/owed-deletes.js';
import { claimedByIntents, settleIntents } from '../lifecycle/reconcile.js';
import { type SubscriptionState, worstSeverity } from '../lifecycle/renewal.js';
import { checkCollection } from '../lifecycle/subscriptions.js';
import type { UnreadableWebhook, WebhookList } from '../protime/api.js';
import { formatDuration } from '../shared/duration.js';
import { type Column, paint, shortId, shortTime, table, type View } from '../shared/output.js';

export interface StatusOptions {
  collection?: string;
  /** --renew-within in seconds; replaces the default window. */
  renewWithinSeconds?: number;
  offline: boolean;
  /** Show foreign webhooks in the table too (JSON always lists them). */
  all?: boolean;
  /** Handled by the CLI: the same run for every stored profile. */
  allProfiles?: boolean;
}

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

export async function run(options: StatusOptions, ctx: Context): Promise<StatusResult> {
  const collection = options.collection === undefined ? undefined : checkCollection(options.collection);
  const profile = ctx.globals.profile;
  const entry = await ctx.profileEntry();
  const now = ctx.now();
  const server = options.offline ? undefined : await listSettled(ctx);
  const data = await ctx.store.read();
  const claimed = server ? claimedByIntents(data.intents?.[profile], data.subscriptions[profile], server.webhooks) : undefined;
  const entries = assess(data.subscriptions[profile], server, now, options.renewWithinSeconds, claimed);
  // A replaced key past its validUntil leaves the accepted set with time alone: any look notices.
  await syncKeysFile(ctx, data).catch((error: Error) => ctx.log.warn(error.message));
  const shown = entries
    .filter((e) => !collection || e.collection === collection)
    .sort(byUrgency)
    .map(({ record, webhook: _webhook, ...rest }) => ({ ...rest, deleteFailing: deleteFailing(record) }));
  const count = (state: SubscriptionState) => shown.filter((e) => e.state === state).length;
  const result: StatusResult = {
    profile,
    tenant: entry.tenant,
    checkedAt: now.toISOString(),
    offline: options.offline,
    subscriptions: shown,
    unreadable: server?.unreadable ?? [],
    summary: {
      ok: count('ok'),
      renewDue: count('renew-due'),
      expired: count('expired'),
      disabled: count('disabled'),
      missing: count('missing'),
      unknownKey: count('unknown-key'),
      replaced: count('replaced'),
      deployPending: count('deploy-pending'),
      foreign: count('foreign'),
      deleteFailing: shown.filter((e) => e.deleteFailing).length,
      unreadable: count('unreadable'),
    },
  };
  if (!options.all) foreignHidden.add(result);
  return result;
}

/**
 * The server's list. Open create intents mean a run died or lost an answer: when no renew or
 * subscribe holds the profile (a running one may still await its answer), the list is fetched
 * under the run lock and what those runs created is recorded, as unknown-key.
 */
async function listSettled(ctx: Context): Promise<WebhookList> {
  const client = await ctx.client();
  const profile = ctx.globals.profile;
  if (!(await ctx.store.read()).intents?.[profile]?.length) return readList(ctx, client);
  let release: (() => Promise<void>) | undefined;
  try {
    release = await ctx.store.runLock(profile, 'status', { waitMs: 0 });
  } catch {
    return readList(ctx, client);
  }
  try {
    const server = await readList(ctx, client);
    const adopted = await settleIntents(ctx.store, profile, server);
    if (adopted.length > 0)
      ctx.log.warn(
        `${adopted.length} webhook(s) were created by an interrupted run and their keys were lost; \`protime-hooks renew\` replaces them.`,
      );
    return server;
  } finally {
    await release();
  }
}

const ORDER: SubscriptionState[] = [
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
const COLUMNS: Column[] = [
  { head: 'ID', short: shortId },
  { head: 'COLLECTION' },
  { head: 'DESTINATION', wrap: true },
  { head: 'STATE' },
  { head: 'VALID UNTIL', short: shortTime, drop: 3 },
  { head: 'LEFT' },
  { head: 'RENEW AFTER', short: shortTime, drop: 1 },
  { head: 'KEY', drop: 2 },
];

export function render(result: StatusResult, view: View): string {
  return table(
    view,
    COLUMNS,
    result.subscriptions
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
      ]),
  );
}

/** One line for stderr: what the table means at a glance. */
export function summarize(result: StatusResult): string {
  const s = result.summary;
  const own = result.subscriptions.length - s.foreign;
  const foreign =
    s.foreign > 0
      ? ` ${s.foreign} other webhook(s) on the tenant belong to other profiles or tools${foreignHidden.has(result) ? ' (`status --all` lists them)' : ''}; they are left alone.`
      : '';
  if (own === 0) {
    return `No subscriptions for profile "${result.profile}". Create one with: protime-hooks subscribe contracts --url https://...${foreign}`;
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
  return `${own} subscription(s): ${parts.join(', ')}${result.offline ? ' (offline: from local records)' : ''}.${unread}${advice}${undeleted}${foreign}`;
}
