import type { Context } from '../context.js';
import type { ProtimeClient } from '../protime/client.js';
import { CliError } from '../shared/errors.js';
import type { SubscriptionRecord } from '../state/schemas.js';
import { recordDeleteFailure, retire } from './retire.js';
import { isLive } from './subscriptions.js';

/** What became of one owed delete. `due`: a dry run would have tried it now. */
export type OwedDelete =
  | { kind: 'deleted' | 'deferred' | 'due'; record: SubscriptionRecord }
  /** `repeated`: it had failed in an earlier run too, so it is no longer a blip. */
  | { kind: 'failed'; record: SubscriptionRecord; error: CliError; repeated: boolean };

/**
 * Renewals whose old webhook's delete failed earlier: delete it now, unless its backoff has not
 * passed. One whose replacement's key has not reached every receiver yet stays, so its key is
 * still accepted and it keeps delivering. A dry run only says which it would try.
 */
export async function finishOwedDeletes(ctx: Context, client: ProtimeClient, dryRun: boolean): Promise<OwedDelete[]> {
  const records = (await ctx.store.read()).subscriptions[ctx.globals.profile] ?? {};
  const handingOver = (id: string) => {
    const next = records[id];
    return Boolean(next?.deployPending) && isLive(next!);
  };
  const owed = Object.values(records).filter((r) => r.replacedBy && !r.deletedAt && !r.keepOld && !handingOver(r.replacedBy));
  const now = ctx.now().getTime();
  const outcomes: OwedDelete[] = [];
  for (const record of owed) {
    // An unreadable time must not block the delete for good: NaN is never in the future.
    if (record.nextDeleteAt && Date.parse(record.nextDeleteAt) > now) outcomes.push({ kind: 'deferred', record });
    else if (dryRun) outcomes.push({ kind: 'due', record });
    else outcomes.push(await attempt(ctx, client, record));
  }
  return outcomes;
}

async function attempt(ctx: Context, client: ProtimeClient, record: SubscriptionRecord): Promise<OwedDelete> {
  const outcome = await retire(ctx, client, record.id, { dropKey: false });
  if (!(outcome instanceof CliError)) return { kind: 'deleted', record };
  const updated = (await recordDeleteFailure(ctx, record.id, outcome)) ?? record;
  return { kind: 'failed', record: updated, error: outcome, repeated: Boolean(record.deleteFailures) };
}
