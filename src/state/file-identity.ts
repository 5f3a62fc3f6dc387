import type { BigIntStats } from 'node:fs';
import { VERSION } from '../shared/version.js';
import { STORE_VERSION } from './versions.js';

// Apart from file-store.ts: status --offline's fast path (cli/fast-status.ts) checks the same identity
// without loading the store.

/** The state file and the caches beside it, in the config folder. */
export const STATE_FILE = 'state.json';
export const CHECKED_FILE = 'state.checked';
export const STATUS_FILE = 'state.status';

/** What tells one version of the file from another: no write keeps all five. */
export function identityOf(stat: BigIntStats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
}

/** The line state.checked holds for a file version found valid: the release too, since a newer one may check more. */
export function checkedLine(identity: string): string {
  return `${VERSION} ${STORE_VERSION} ${identity}\n`;
}

/**
 * state.status's first line: its own format's number, then state.checked's line for the state file
 * it was made from. A reader of another format, or of another state file, finds no index.
 */
export function statusLine(identity: string): string {
  return `status-index 1 ${checkedLine(identity)}`;
}
