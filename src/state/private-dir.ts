import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { failure } from '../shared/errors.js';

/** Left in every folder this tool creates: proof that tightening its mode touches nothing of anyone else's. */
const MARKER = '.protime-hooks';

/**
 * mkdir -p, one level at a time from the deepest folder that exists: Node's recursive mkdir spins
 * at 100 % CPU under /proc/<pid>, and a file on the way must be named, not hit late and oddly.
 */
function makeFolders(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new Error(`${at} is not a folder`);
  for (const folder of missing) {
    try {
      mkdirSync(folder, { mode: 0o700 });
    } catch (error) {
      // Another process starting at the same moment (two cron jobs on a new machine) made it first.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(folder).isDirectory()) throw error;
    }
  }
}

/**
 * Makes `dir` fit for secrets. A folder this tool creates is made 0700 (with a marker). An existing
 * one is tightened only when it is provably ours (the marker, our state file, or empty): any other
 * folder given as --config-dir (a home, /tmp, /proc) keeps its mode. A folder others can write to,
 * or owned by someone else, is refused, as ssh refuses such key folders; one others can only read
 * is used with a warning.
 */
export function ensurePrivateDir(dir: string, warn: (message: string) => void = () => undefined): void {
  try {
    if (!existsSync(dir)) {
      makeFolders(dir);
      chmodSync(dir, 0o700);
      writeFileSync(join(dir, MARKER), 'This folder holds protime-hooks state (secrets): keep it 0700.\n', { mode: 0o600 });
      return;
    }
  } catch (error) {
    throw unusable(dir, (error as Error).message, error);
  }
  const stat = statSync(dir);
  if (!stat.isDirectory()) throw unusable(dir, 'it is not a folder');
  const me = process.getuid?.();
  if (me !== undefined && stat.uid !== me) {
    throw failure('config-dir-unsafe', `${dir} belongs to another user (uid ${stat.uid}); it cannot keep protime-hooks secrets safe.`, {
      hint: 'Use a folder of your own with --config-dir or PROTIME_HOOKS_CONFIG_DIR.',
    });
  }
  const ours = existsSync(join(dir, MARKER)) || existsSync(join(dir, 'state.json')) || readdirSync(dir).length === 0;
  if ((stat.mode & 0o077) === 0) return;
  if (ours) {
    chmodSync(dir, 0o700);
    return;
  }
  if ((stat.mode & 0o022) !== 0) {
    throw failure(
      'config-dir-unsafe',
      `${dir} can be written by other users (mode ${(stat.mode & 0o7777).toString(8)}); secrets there are not safe.`,
      {
        hint: `Use a folder of your own (--config-dir or PROTIME_HOOKS_CONFIG_DIR), or \`chmod 700 ${dir}\` if it is meant for this.`,
      },
    );
  }
  warn(
    `${dir} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}); its files are kept 0600, but \`chmod 700 ${dir}\` is safer.`,
  );
}

function unusable(dir: string, reason: string, cause?: unknown) {
  return failure('config-dir', `Cannot use ${dir} for protime-hooks state: ${reason}.`, {
    hint: 'Choose another folder with --config-dir or PROTIME_HOOKS_CONFIG_DIR.',
    cause,
  });
}
