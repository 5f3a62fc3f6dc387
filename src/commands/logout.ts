import type { Context } from '../context.js';
import { keysFileOf, writeKeysFile } from '../lifecycle/keys.js';
import { liveRecords } from '../lifecycle/subscriptions.js';
import { usageError } from '../shared/errors.js';
import type { View } from '../shared/output.js';
import { confirm } from '../shared/prompt.js';

export interface LogoutOptions {
  /** Also forget the profile and its subscription records, keys included. */
  purge: boolean;
  yes: boolean;
}

export interface LogoutResult {
  profile: string;
  /** False when the person asked declined the purge: nothing was changed. */
  loggedOut: boolean;
  purged: boolean;
}

export async function run(options: LogoutOptions, ctx: Context): Promise<LogoutResult> {
  const profile = ctx.globals.profile;
  const data = await ctx.store.read();
  if (!data.profiles[profile]) {
    throw usageError('unknown-profile', `No profile named "${profile}".`, 'See `protime-hooks profiles`.');
  }
  const keys = liveRecords(data.subscriptions[profile]).filter((r) => r.key).length;
  if (options.purge && keys > 0 && !options.yes) {
    // Purging destroys keys that Protime will never show again: ask, or demand --yes.
    const question = `Purge profile "${profile}" and the ${keys} webhook key(s) it holds? The webhooks keep running on Protime.`;
    const answer = await confirm(ctx, question);
    if (answer === 'no') {
      ctx.log.info(`Not purged: profile "${profile}" and its ${keys} key(s) are kept, still logged in.`);
      return { profile, loggedOut: false, purged: false };
    }
    if (answer === 'unasked') {
      throw usageError(
        'confirmation-required',
        `Not purged: profile "${profile}" holds ${keys} webhook key(s).`,
        'Pass --yes to purge without asking.',
      );
    }
  }
  const keysFile = keysFileOf(ctx, data.profiles[profile]);
  await ctx.store.update((current) => {
    if (options.purge) {
      delete current.profiles[profile];
      delete current.subscriptions[profile];
      delete current.intents?.[profile];
      return;
    }
    const entry = current.profiles[profile];
    if (entry) {
      delete entry.clientSecret;
      delete entry.token;
    }
  });
  // Purged keys are no longer to be accepted: the file the receivers read says so at once.
  if (options.purge && keysFile) await writeKeysFile(keysFile.path, [], keysFile.mode);
  ctx.log.success(
    options.purge
      ? `Profile "${profile}" and its subscription records were removed.`
      : `Logged out of profile "${profile}"; its subscription records and keys are kept.`,
  );
  return { profile, loggedOut: true, purged: options.purge };
}

export function render(_result: LogoutResult, _view: View): string {
  return '';
}
