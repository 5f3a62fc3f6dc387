import { accessSync, constants, lstatSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { SubscriptionRecord } from '../state/schemas.js';
import { STORE_KEY_VARIABLE } from '../state/seal.js';
import type { StoreHealth } from '../state/store.js';

/** One line of `doctor`: `ok|warn|fail name: detail`. */
export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

/** Details stay on their one line, whatever an error message held. */
export const check = (name: string, status: Check['status'], detail: string): Check => ({
  name,
  status,
  detail: detail.replace(/\s*\n\s*/g, ' '),
});

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/** The config dir: present, a folder, ours, closed to others (what every command demands or warns of). */
export function configDirCheck(dir: string): Check {
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (!stat) return check('config-dir', 'fail', `${dir} does not exist: run \`protime-hooks login\` (or pass the --config-dir cron uses)`);
  if (!stat.isDirectory()) return check('config-dir', 'fail', `${dir} is not a folder`);
  const me = process.getuid?.();
  if (me !== undefined && stat.uid !== me) return check('config-dir', 'fail', `${dir} belongs to another user (uid ${stat.uid})`);
  if (stat.mode & 0o022)
    return check('config-dir', 'fail', `${dir} can be written by others (mode ${octal(stat.mode)}): \`chmod 700 ${dir}\``);
  if (stat.mode & 0o077)
    return check('config-dir', 'warn', `${dir} can be read by others (mode ${octal(stat.mode)}): \`chmod 700 ${dir}\``);
  return check('config-dir', 'ok', `${dir} (mode ${octal(stat.mode)}, yours)`);
}

/** The state file's own mode, read before any command would tighten it. */
export function stateFileCheck(file: string): Check {
  const stat = lstatSync(file, { throwIfNoEntry: false });
  if (!stat) return check('state-file', 'fail', `${file} does not exist: run \`protime-hooks login\``);
  if (stat.isSymbolicLink()) return check('state-file', 'fail', `${file} is a symbolic link; secrets are written only to a regular file`);
  if (!stat.isFile()) return check('state-file', 'fail', `${file} is not a regular file`);
  if (stat.mode & 0o077)
    return check(
      'state-file',
      'warn',
      `${file} could be read by others (mode ${octal(stat.mode)}); reading it made it 0600: check who may have copied it`,
    );
  return check('state-file', 'ok', `${file} (mode ${octal(stat.mode)})`);
}

// Words /bin/sh runs itself: a hook that starts with one needs no program on PATH.
const SHELL_WORDS = new Set([':', '.', '[', 'cd', 'echo', 'eval', 'exec', 'export', 'false', 'printf', 'set', 'test', 'true', 'umask']);

/** Where `/bin/sh -c` would find a command's first word, or why it would not. */
function findProgram(command: string, path: string): string | undefined {
  const first = command.trim().split(/\s+/)[0] ?? '';
  if (!first || SHELL_WORDS.has(first) || /^[A-Za-z_]\w*=/.test(first)) return undefined;
  const candidates = first.includes('/') ? [first] : path.split(delimiter).map((folder) => join(folder || '.', first));
  const found = candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
  return found ? undefined : first.includes('/') ? `${first} is not an executable file` : `${first} is not on PATH (${path})`;
}

/** Deploy hooks: each subscription's command resolves, and no file in hooks/deploy/ is skipped for want of +x. */
export function hooksCheck(configDir: string, records: SubscriptionRecord[], path: string): Check {
  const problems: string[] = [];
  const commands = [...new Set(records.map((r) => r.deployHook).filter((c): c is string => Boolean(c)))];
  for (const command of commands) {
    const problem = findProgram(command, path);
    if (problem) problems.push(`hook "${command}": ${problem}`);
  }
  // No config dir (a PostgreSQL store needs none): no hooks/deploy/ either.
  const dir = configDir ? join(configDir, 'hooks', 'deploy') : '';
  let files: string[] = [];
  try {
    if (dir) files = readdirSync(dir).filter((name) => !name.startsWith('.'));
  } catch {
    // No hooks folder: nothing to run, nothing wrong.
  }
  let runnable = 0;
  for (const name of files) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) runnable++;
    } catch {
      problems.push(`hooks/deploy/${name} is not executable and is skipped: \`chmod +x ${file}\``);
    }
  }
  if (problems.length > 0) return check('hooks', 'warn', problems.join('; '));
  if (commands.length + runnable === 0) return check('hooks', 'ok', 'none configured');
  return check('hooks', 'ok', `${commands.length} subscription hook(s), ${runnable} in hooks/deploy/, all runnable`);
}

/** The keys file can be rewritten where it is (its folder writable; the file, if present, too). */
export function keysFileCheck(keysFile: { path: string; mode: number } | undefined): Check {
  if (!keysFile) return check('keys-file', 'ok', 'none configured');
  const { path, mode } = keysFile;
  try {
    accessSync(dirname(path), constants.W_OK | constants.X_OK);
  } catch {
    return check('keys-file', 'fail', `${dirname(path)} does not exist or cannot be written, so ${path} cannot be rewritten`);
  }
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return check('keys-file', 'warn', `${path} does not exist yet; the next subscribe or renew writes it`);
  if ((stat.mode & 0o777) !== mode)
    return check('keys-file', 'warn', `${path} is mode ${octal(stat.mode)}, not the ${octal(mode)} it is written with`);
  return check('keys-file', 'ok', `${path} (mode ${octal(stat.mode)}), folder writable`);
}

const WORST = { ok: 0, warn: 1, fail: 2 } as const;

/**
 * A store that looked at itself (the PostgreSQL one): reachable (it answered), its schema version
 * against this code's, and sealed or clear against the store key set here (`keyId`, if any), told
 * from the ids the rows record, never by opening a secret.
 */
export function storeHealthCheck(location: string, health: StoreHealth, keyId: string | undefined): Check {
  const { schemaVersion: found, currentVersion: current, secrets } = health;
  const parts = [`${location} reachable`];
  let status: Check['status'] = 'ok';
  const add = (level: Check['status'], text: string) => {
    if (WORST[level] > WORST[status]) status = level;
    parts.push(text);
  };
  if (found > current) {
    add('fail', `schema version ${found} is newer than this protime-hooks' (${current}) (store-too-new): upgrade protime-hooks`);
    return check('store', status, parts.join('; '));
  }
  if (found === 0) add('warn', 'no schema yet: `protime-hooks store migrate` creates it (any command would, on first use)');
  else if (found < current) {
    add(
      'warn',
      `schema version ${found}, a migration to ${current} is pending: run \`protime-hooks store migrate\` (any command would, on first use)`,
    );
  } else parts.push(`schema version ${found} (current)`);
  if (!secrets) {
    // Not known before the upgrade; without a key, though, whatever is stored is in clear.
    if (!keyId) add('warn', `secrets stored in clear: ${STORE_KEY_VARIABLE} is not set`);
    return check('store', status, parts.join('; '));
  }
  const records = (n: number) => `${n} record(s)`;
  const sealed = Object.entries(secrets.sealedWith);
  const others = sealed.filter(([id]) => id !== keyId);
  if (others.length > 0) {
    const named = others.map(([id, n]) => `${records(n)} sealed with key id ${id}`).join(', ');
    if (!keyId) add('fail', `${named}, but ${STORE_KEY_VARIABLE} is not set (store-key-missing)`);
    else add('fail', `${named}, but ${STORE_KEY_VARIABLE} has key id ${keyId} (store-key-wrong)`);
  } else if (!keyId) {
    add(
      'warn',
      `secrets stored in clear (${records(secrets.clear)}): they rely on the database's permissions; set ${STORE_KEY_VARIABLE} to encrypt them`,
    );
  } else if (secrets.clear > 0) {
    add('warn', `${records(secrets.clear)} still in clear: \`protime-hooks store migrate\` seals them with ${STORE_KEY_VARIABLE}`);
  } else parts.push(`secrets sealed with key id ${keyId} (${records(sealed[0]?.[1] ?? 0)})`);
  return check('store', status, parts.join('; '));
}
