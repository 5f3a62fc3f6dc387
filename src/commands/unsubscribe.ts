import type { Context } from '../context.js';
import { retire } from '../lifecycle/retire.js';
import { checkWebhookId } from '../lifecycle/subscriptions.js';
import { CliError, failure, usageError } from '../shared/errors.js';
import type { View } from '../shared/output.js';
import { confirm } from '../shared/prompt.js';

export interface UnsubscribeOptions {
  id: string;
  yes: boolean;
  /** Delete even a webhook this profile does not own. */
  force?: boolean;
  waitSeconds?: number;
}

export interface UnsubscribeResult {
  id: string;
  /** False when the person asked said no. */
  deleted: boolean;
}

/** Deletes the webhook on Protime; the local record stays for the audit trail, without its key. */
export async function run(options: UnsubscribeOptions, ctx: Context): Promise<UnsubscribeResult> {
  const profile = ctx.globals.profile;
  checkWebhookId(options.id);
  const client = await ctx.client();
  const record = (await ctx.store.read()).subscriptions[profile]?.[options.id];
  if (record?.deletedAt) throw usageError('already-deleted', `Subscription ${options.id} was already deleted (${record.deletedAt}).`);
  if (!record && !options.force) {
    throw usageError(
      'not-owned',
      `Not deleted: ${options.id} is not a subscription of profile "${profile}" (another profile's, machine's or tool's, or unknown).`,
      'Pass --force to delete it anyway; its owner then stops getting its events.',
    );
  }
  if (!options.yes) {
    const what = record ? `the ${record.collection} webhook to ${record.destinationUrl}` : `webhook ${options.id}`;
    const answer = await confirm(ctx, `Delete ${what}? Protime stops sending its events.`);
    if (answer === 'no') {
      ctx.log.info(`Not deleted: ${options.id}.`);
      return { id: options.id, deleted: false };
    }
    if (answer === 'unasked') {
      throw usageError(
        'confirmation-required',
        `Not deleted: ${options.id}.`,
        'Pass --yes to delete without being asked (required without a terminal, or with --no-input).',
      );
    }
  }
  const release = await ctx.store.runLock(profile, 'unsubscribe', {
    waitMs: (options.waitSeconds ?? 0) * 1000,
    onWait: (message) => ctx.log.info(message),
  });
  try {
    const outcome = await retire(ctx, client, options.id, { dropKey: true });
    if (outcome instanceof CliError) throw outcome;
    if (outcome === 'absent') {
      if (!record) throw failure('not-found', `No webhook ${options.id} on the server or in profile "${profile}".`, { status: 404 });
      ctx.log.warn(`Protime no longer knows ${options.id}; the local record is marked deleted.`);
    }
    ctx.log.success(`Deleted ${options.id}${record ? ` (${record.collection} → ${record.destinationUrl})` : ''}.`);
    return { id: options.id, deleted: true };
  } finally {
    await release();
  }
}

export function render(_result: UnsubscribeResult, _view: View): string {
  return '';
}
