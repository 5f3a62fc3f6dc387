import { join } from 'node:path';
import { formatDuration } from '../shared/duration.js';
import { temporary } from '../shared/errors.js';
import { acquireLock, type LockOwner } from './lock.js';
import type { Release, RunLockOptions } from './store.js';

export interface FileRunLockOptions extends RunLockOptions {
  dir: string;
  profile: string;
}

/**
 * The file store's run lock (see Store.runLock): a lock folder beside the state file, so two cron
 * runs cannot both replace the same webhook. A second run fails at once with exit 75 (or waits).
 */
export async function acquireRunLock(options: FileRunLockOptions, command: string): Promise<Release> {
  const { onWait } = options;
  const release = await acquireLock({
    base: join(options.dir, `run-${encodeURIComponent(options.profile)}`),
    command,
    waitMs: options.waitMs,
    // A run refreshes its lock every 10 s; one silent for 30 s is dead even on another host.
    staleMs: 30_000,
    sleep: options.sleep,
    onWait:
      onWait &&
      ((owner) =>
        onWait(
          `Waiting up to ${formatDuration(Math.ceil(options.waitMs / 1000))} for profile "${options.profile}"'s run lock, held by ${owner ? holder(owner) : 'another protime-hooks run'}.`,
        )),
    busy: (owner) =>
      temporary('run-locked', `Another protime-hooks run holds profile "${options.profile}"${owner ? ` (${holder(owner)})` : ''}.`, {
        hint: 'It exits when done; try again later, or pass --wait <duration> to wait for it.',
      }),
  });
  return Object.assign(release, {
    lost: () => {
      const error = release.compromised();
      return (
        error &&
        temporary('run-lock-lost', `Profile "${options.profile}"'s run lock was lost (${error.message}).`, {
          hint: 'Nothing more is created in this run; another run may hold the profile now. Run the command again.',
        })
      );
    },
  });
}

function holder(owner: LockOwner): string {
  return `${owner.command}, pid ${owner.pid} on ${owner.host}, since ${owner.since}`;
}
