import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { temporary } from './errors.js';

export interface RunLockOptions {
  dir: string;
  profile: string;
  /** How long to wait for a running holder; 0 fails at once (the cron default). */
  waitMs: number;
  sleep?: (ms: number) => Promise<void>;
}

interface Owner {
  pid: number;
  host: string;
  since: string;
  command: string;
}

/**
 * One creating/deleting run per profile at a time (renew, subscribe, unsubscribe), so two cron
 * runs cannot both replace the same webhook. proper-lockfile provides the atomic lock and releases
 * it on exit; a lock left by a killed process is taken over as soon as its owner's pid is gone
 * (same host), instead of waiting for the lock to go stale.
 */
export async function acquireRunLock(options: RunLockOptions, command: string): Promise<() => Promise<void>> {
  const name = `run-${encodeURIComponent(options.profile)}`;
  const target = join(options.dir, name);
  const ownerFile = join(options.dir, `${name}.owner`);
  const lockOptions = { lockfilePath: `${target}.lock`, realpath: false, stale: 30_000, update: 5_000, onCompromised: () => undefined };
  const deadline = Date.now() + options.waitMs;
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  // Loaded on use: read-only commands never need it.
  const { default: lockfile } = await import('proper-lockfile');
  for (;;) {
    try {
      const release = await lockfile.lock(target, lockOptions);
      const owner: Owner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
      writeFileSync(ownerFile, JSON.stringify(owner), { mode: 0o600 });
      return async () => {
        rmSync(ownerFile, { force: true });
        await release().catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    }
    const owner = readOwner(ownerFile);
    if (owner && isDead(owner) && takeOver(ownerFile, `${target}.lock`)) continue;
    if (Date.now() >= deadline) {
      const who = owner ? ` (${owner.command}, pid ${owner.pid} on ${owner.host}, since ${owner.since})` : '';
      throw temporary('run-locked', `Another protime-hooks run holds profile "${options.profile}"${who}.`, {
        hint: 'It exits when done; try again later, or pass --wait <duration> to wait for it.',
      });
    }
    await sleep(Math.min(200, Math.max(10, deadline - Date.now())));
  }
}

function readOwner(file: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Owner;
  } catch {
    return undefined; // no owner file yet (the holder is between lock and write), or it is being taken over
  }
}

/** A pid on this host that no longer exists. EPERM means alive under another user. */
function isDead(owner: Owner): boolean {
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Renaming the dead owner's file is atomic: of several processes that saw the same dead owner,
 * exactly one wins and removes the stale lock; the others see ENOENT and go back to waiting.
 */
function takeOver(ownerFile: string, lockDir: string): boolean {
  const claimed = `${ownerFile}.${process.pid}.taken`;
  try {
    renameSync(ownerFile, claimed);
  } catch {
    return false;
  }
  rmSync(lockDir, { recursive: true, force: true });
  rmSync(claimed, { force: true });
  return true;
}
