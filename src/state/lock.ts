import { lstatSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { type CliError, failure } from '../shared/errors.js';
import { describeWriteError } from '../shared/fs-errors.js';

/** Who holds a lock: written beside it so others can say who, and tell a dead holder at once. */
export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export interface LockSpec {
  /** Base path: the lock is `<base>.lock` (a proper-lockfile folder), its owner `<base>.owner`. */
  base: string;
  /** What this process is doing, shown to whoever finds the lock held. */
  command: string;
  /** How long to keep trying while a live process holds it. */
  waitMs: number;
  /** A lock not refreshed for this long is stale (proper-lockfile's own fallback, any host). */
  staleMs: number;
  /** The error to throw when the wait is over. */
  busy: (owner: LockOwner | undefined) => CliError;
  sleep?: (ms: number) => Promise<void>;
  /** Called once, before the first wait for a live holder (never when the lock is free at once). */
  onWait?: (owner: LockOwner | undefined) => void;
}

/** Gives the lock back; `compromised` tells whether it was taken away (refresh failed, taken over as stale) while held. */
export type LockRelease = (() => Promise<void>) & { compromised: () => Error | undefined };

/**
 * An inter-process lock: proper-lockfile makes taking it atomic and releases it on exit; a lock
 * left by a killed process is taken over as soon as its owner's pid is gone (same host), instead
 * of after `staleMs`. Resolves to the release function.
 */
export async function acquireLock(spec: LockSpec): Promise<LockRelease> {
  // Loaded on use: read-only commands never need it.
  const { default: lockfile } = await import('proper-lockfile');
  const lockDir = `${spec.base}.lock`;
  const ownerFile = `${spec.base}.owner`;
  const options = {
    lockfilePath: lockDir,
    realpath: false,
    stale: spec.staleMs,
    update: Math.floor(spec.staleMs / 3),
    // Told when the lock folder could not be refreshed or was taken over as stale: kept for the holder.
    onCompromised: (error: Error) => {
      compromised ??= error;
    },
  };
  let compromised: Error | undefined;
  const deadline = Date.now() + spec.waitMs;
  const sleep = spec.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  let told = false;
  for (let attempt = 0; ; attempt++) {
    // Something that is not a folder at the lock's path is no lock: neither wait for it nor remove it.
    const found = lstatSync(lockDir, { throwIfNoEntry: false });
    if (found && !found.isDirectory()) {
      throw failure('lock-blocked', `${lockDir} is in the way of protime-hooks' lock: it is not a lock folder.`, {
        hint: `Nothing was changed. Move it away (\`mv ${lockDir} ${lockDir}.moved\`), then run the command again.`,
      });
    }
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(spec.base, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw lockFailure(lockDir, error);
      const owner = readOwner(ownerFile);
      if (owner ? isDead(owner) && takeOver(ownerFile, lockDir, owner) : takeOverOrphan(lockDir)) continue;
      if (Date.now() >= deadline) throw spec.busy(owner);
      if (!told) {
        told = true;
        spec.onWait?.(owner);
      }
      // Short first waits (writers hold the store lock for milliseconds), then up to 200 ms.
      await sleep(Math.min(5 * 2 ** Math.min(attempt, 6), 200, Math.max(1, deadline - Date.now())));
      continue;
    }
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command: spec.command };
    // Written aside and renamed in: a holder killed while writing leaves no torn owner file, which
    // would read as no owner and keep the lock from being taken over at once as a dead one's.
    const written = `${ownerFile}.${process.pid}.new`;
    try {
      writeFileSync(written, JSON.stringify(owner), { mode: 0o600 });
      renameSync(written, ownerFile);
    } catch (error) {
      rmSync(written, { force: true });
      await release().catch(() => undefined);
      throw lockFailure(ownerFile, error);
    }
    const give = async () => {
      rmSync(ownerFile, { force: true });
      await release().catch(() => undefined);
    };
    return Object.assign(give, { compromised: () => compromised });
  }
}

/** A lock that could not be taken for a reason of the machine's (full disk, read-only, permissions). */
function lockFailure(path: string, error: unknown): CliError {
  return failure('store-write-failed', `Could not take the lock ${path}: ${describeWriteError(error)}.`, {
    hint: 'Nothing was changed. Free the space or fix the permissions, then run the command again.',
    cause: error,
  });
}

/**
 * A holder writes its owner file right after taking the lock and removes it just before letting
 * go, so a lock folder without an owner that has not been touched for this long was left by a
 * process killed in one of those two instants.
 */
const ORPHAN_MS = 2000;

/** Takes over an ownerless, untouched lock: the folder is renamed away (atomic: one winner), its age checked again. */
function takeOverOrphan(lockDir: string): boolean {
  if (!isOlderThan(lockDir, ORPHAN_MS)) return false;
  const claimed = `${lockDir}.${process.pid}.taken`;
  try {
    renameSync(lockDir, claimed);
  } catch {
    return false;
  }
  // Another waiter may have replaced the orphan with a fresh lock while this one paused: give it back.
  if (!isOlderThan(claimed, ORPHAN_MS)) {
    renameSync(claimed, lockDir);
    return false;
  }
  rmSync(claimed, { recursive: true, force: true });
  return true;
}

function isOlderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined; // not written yet (the holder is between lock and write), or being taken over
  }
}

/** A pid on this host that no longer exists. EPERM means alive under another user. */
function isDead(owner: LockOwner): boolean {
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
 * exactly one wins and removes the stale lock; the others see ENOENT and go back to waiting. The
 * winner checks it renamed the dead owner's file and not a newer holder's (written while it was
 * paused between reading and renaming); if not, it puts the file back and waits.
 */
function takeOver(ownerFile: string, lockDir: string, dead: LockOwner): boolean {
  const claimed = `${ownerFile}.${process.pid}.taken`;
  try {
    renameSync(ownerFile, claimed);
  } catch {
    return false;
  }
  const renamed = readOwner(claimed);
  if (!renamed || renamed.pid !== dead.pid || renamed.since !== dead.since) {
    renameSync(claimed, ownerFile);
    return false;
  }
  rmSync(lockDir, { recursive: true, force: true });
  rmSync(claimed, { force: true });
  return true;
}
