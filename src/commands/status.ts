import type { Context } from '../context.js';
import { assess } from '../lifecycle/assess.js';
import { syncKeysFile } from '../lifecycle/keys.js';
import { readList } from '../lifecycle/listing.js';
import { claimedByIntents, settleIntents } from '../lifecycle/reconcile.js';
import { checkCollection } from '../lifecycle/subscriptions.js';
import type { WebhookList } from '../protime/api.js';
import { table, type View } from '../shared/output.js';
import { statusIndexText } from './status-index.js';
import { COLUMNS, type StatusResult, statusResult, statusRows } from './status-report.js';

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

export async function run(options: StatusOptions, ctx: Context): Promise<StatusResult> {
  const collection = options.collection === undefined ? undefined : checkCollection(options.collection);
  const profile = ctx.globals.profile;
  const entry = await ctx.profileEntry();
  const now = ctx.now();
  const server = options.offline ? undefined : await listSettled(ctx);
  const data = await ctx.store.read();
  // For status --offline's fast path next time (cli/fast-status.ts): the table without reading the state.
  if (options.offline) ctx.store.indexStatus?.(statusIndexText);
  const claimed = server ? claimedByIntents(data.intents?.[profile], data.subscriptions[profile], server.webhooks) : undefined;
  const entries = assess(data.subscriptions[profile], server, now, options.renewWithinSeconds, claimed);
  // A replaced key past its validUntil leaves the accepted set with time alone: any look notices.
  await syncKeysFile(ctx, data).catch((error: Error) => ctx.log.warn(error.message));
  return statusResult({ profile, tenant: entry.tenant, now, offline: options.offline, all: options.all, collection, server }, entries);
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

export function render(result: StatusResult, view: View): string {
  return table(view, COLUMNS, statusRows(result, view));
}

export { exitKind, type StatusEntry, type StatusResult, summarize } from './status-report.js';
