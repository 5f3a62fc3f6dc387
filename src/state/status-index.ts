import { closeSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATUS_FILE, statusLine } from './file-identity.js';

// state.status, beside the state file: what `status --offline` prints, for its fast path
// (cli/fast-status.ts; commands/status-index.ts makes the rest of it). Its first line names the
// state file it was made from (statusLine); for any other state file the fast path gives way to
// the CLI. It holds no secret.

/** Whether state.status in `dir` was made from the state file `identity` names. */
export function statusIndexCurrent(dir: string, identity: string): boolean {
  const line = statusLine(identity);
  const buffer = Buffer.alloc(line.length);
  let fd: number | undefined;
  try {
    fd = openSync(join(dir, STATUS_FILE), 'r');
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, read) === line;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Best effort, as state.checked: without it the CLI prints the status, which is all that is lost. */
export function writeStatusIndex(dir: string, identity: string, text: string): void {
  const path = join(dir, STATUS_FILE);
  const temp = `${path}.${process.pid}.new`;
  try {
    writeFileSync(temp, `${statusLine(identity)}${text}`, { mode: 0o600, flag: 'wx' });
    renameSync(temp, path);
  } catch {
    rmSync(temp, { force: true });
  }
}
