import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { StoredWebhook } from './webhooks.js';

/** What the state file holds. Tokens are left out on purpose: a restart must force a new login. */
export interface SavedState {
  version: 1;
  /** Last changeVersion handed out, as 20 hex digits, so versions keep increasing across restarts. */
  changeVersion: string;
  webhooks: StoredWebhook[];
}

/** The saved state, or undefined when the file does not exist yet. A corrupt file is an error, not a reset. */
export function loadState(file: string): SavedState | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: Partial<SavedState>;
  try {
    parsed = JSON.parse(text) as Partial<SavedState>;
  } catch {
    throw new Error(`${file} is not valid JSON; move it away to start with an empty emulator`);
  }
  if (parsed.version !== 1 || !Array.isArray(parsed.webhooks) || !/^[0-9A-F]{20}$/.test(parsed.changeVersion ?? '')) {
    throw new Error(`${file} is not an emulator state file (version 1)`);
  }
  return parsed as SavedState;
}

/**
 * Writes a temp file beside the target and renames it over, so a crash never leaves half a file;
 * mode 0600 because the file holds webhook keys.
 */
export function saveState(file: string, state: SavedState): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
