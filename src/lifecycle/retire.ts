import type { Context } from '../context.js';
import { deleteWebhook } from '../protime/api.js';
import type { ProtimeClient } from '../protime/client.js';
import { CliError } from '../shared/errors.js';
import type { SubscriptionRecord } from '../state/schemas.js';
import { syncKeysFile } from './keys.js';
import { type Send, sendNow } from './slots.js';

/**
 * Deletes a webhook on Protime and marks its record deleted (a 404 counts: it is gone either way).
 * `dropKey` forgets the key at once (unsubscribe); a replaced webhook keeps it until its validUntil
 * so late deliveries still verify. Returns `absent` when the server did not know the id, or the
 * error when the delete failed, leaving the record as it was so the next run tries again.
 */
export async function retire(
  ctx: Context,
  client: ProtimeClient,
  id: string,
  options: { dropKey: boolean; send?: Send },
): Promise<'deleted' | 'absent' | CliError> {
  const outcome = await (options.send ?? sendNow)(() => deleteRemote(client, id));
  if (outcome instanceof CliError) return outcome;
  await markRetired(ctx, id, options);
  return outcome;
}

/** retire()'s first half: the DELETE on Protime (a 404 counts as done), or the error that stopped it. */
export async function deleteRemote(client: ProtimeClient, id: string): Promise<'deleted' | 'absent' | CliError> {
  try {
    await deleteWebhook(client, id);
    return 'deleted';
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    return error.status === 404 ? 'absent' : error;
  }
}

/** retire()'s second half, once the webhook is gone from Protime: its record is marked deleted. */
export async function markRetired(ctx: Context, id: string, options: { dropKey: boolean }): Promise<void> {
  await ctx.store.update((data) => {
    const record = data.subscriptions[ctx.globals.profile]?.[id];
    if (!record) return;
    record.deletedAt = ctx.now().toISOString();
    if (options.dropKey) record.key = null;
    // Done: the failures before no longer matter to status or to the next run.
    delete record.deleteFailures;
    delete record.deleteFailingSince;
    delete record.nextDeleteAt;
    delete record.lastDeleteError;
  });
  // A dropped key leaves the set receivers must accept.
  if (options.dropKey) await syncKeysFile(ctx);
}

/** First wait after a failed owed delete; it doubles with each further failure, up to the cap. */
const FIRST_BACKOFF_MS = 5 * 60_000;
const MAX_BACKOFF_MS = 6 * 3_600_000;

/** How long to wait after the `failures`-th failed delete before trying again. */
export function deleteBackoffMs(failures: number): number {
  return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** Math.max(0, failures - 1));
}

/**
 * Counts a failed delete of a replaced webhook and sets when the next run may try again, so a
 * delete that keeps failing costs one request per backoff, not a full retry on every run.
 * Returns the record as written (undefined when there is none).
 */
export async function recordDeleteFailure(ctx: Context, id: string, error: CliError): Promise<SubscriptionRecord | undefined> {
  const now = ctx.now();
  return ctx.store.update((data) => {
    const record = data.subscriptions[ctx.globals.profile]?.[id];
    if (!record) return undefined;
    const failures = (record.deleteFailures ?? 0) + 1;
    record.deleteFailures = failures;
    record.deleteFailingSince ??= now.toISOString();
    record.nextDeleteAt = new Date(now.getTime() + deleteBackoffMs(failures)).toISOString();
    // Stored, and shown by status: an error body may echo a token or key back, so scrub it here.
    record.lastDeleteError = ctx.scrubber.scrub(error.message).slice(0, 300);
    return { ...record };
  });
}

/** Forgets keys of retired webhooks once they are past validUntil: nothing can be signed with them any more. */
export async function forgetExpiredKeys(ctx: Context): Promise<void> {
  const now = ctx.now().getTime();
  const stale = (r: { key: string | null; deletedAt?: string | null; replacedBy?: string | null; validUntil: string }) =>
    r.key !== null && Boolean(r.deletedAt || r.replacedBy) && Date.parse(r.validUntil) < now;
  if (!Object.values((await ctx.store.read()).subscriptions[ctx.globals.profile] ?? {}).some(stale)) return;
  await ctx.store.update((data) => {
    for (const record of Object.values(data.subscriptions[ctx.globals.profile] ?? {})) if (stale(record)) record.key = null;
  });
}
