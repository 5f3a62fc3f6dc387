import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * What the state file holds. Tokens are left out on purpose: a restart must force a new login.
 * Generic over the webhook shape so this file needs nothing from webhooks.ts (which uses it).
 */
export interface SavedState<Webhook> {
  version: 1;
  /** Last changeVersion handed out, as 20 hex digits, so versions keep increasing across restarts. */
  changeVersion: string;
  webhooks: Webhook[];
}

/** The saved state, or undefined when the file does not exist yet. A corrupt file is an error, not a reset. */
export function loadState<Webhook>(file: string): SavedState<Webhook> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: Partial<SavedState<Webhook>>;
  try {
    parsed = JSON.parse(text) as Partial<SavedState<Webhook>>;
  } catch {
    throw new Error(`${file} is not valid JSON; move it away to start with an empty emulator`);
  }
  if (parsed.version !== 1 || !Array.isArray(parsed.webhooks) || !/^[0-9A-F]{20}$/.test(parsed.changeVersion ?? '')) {
    throw new Error(`${file} is not an emulator state file (version 1)`);
  }
  return parsed as SavedState<Webhook>;
}

/**
 * Writes a temp file beside the target and renames it over, so a crash never leaves half a file;
 * mode 0600 because the file holds webhook keys.
 */
export function saveState<Webhook>(file: string, state: SavedState<Webhook>): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
