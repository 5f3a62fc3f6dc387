import type { Context } from '../context.js';
import { deleteWebhook } from '../protime/api.js';
import type { ProtimeClient } from '../protime/client.js';
import { CliError } from '../shared/errors.js';
import { syncKeysFile } from './keys.js';

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
  options: { dropKey: boolean },
): Promise<'deleted' | 'absent' | CliError> {
  let outcome: 'deleted' | 'absent' = 'deleted';
  try {
    await deleteWebhook(client, id);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    if (error.status !== 404) return error;
    outcome = 'absent';
  }
  await ctx.store.update((data) => {
    const record = data.subscriptions[ctx.globals.profile]?.[id];
    if (!record) return;
    record.deletedAt = ctx.now().toISOString();
    if (options.dropKey) record.key = null;
  });
  // A dropped key leaves the set receivers must accept.
  if (options.dropKey) await syncKeysFile(ctx);
  return outcome;
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
