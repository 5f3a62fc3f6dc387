import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `text` so that a reader sees the old content or the new, never a part:
 * a temp file in the same folder (same file system, so the rename is atomic), written and fsync'ed,
 * given `mode` (explicitly: the umask must not widen or narrow it), renamed over the target, and
 * the folder fsync'ed so the rename survives a power cut. Rejects with the file system's error.
 * Each step is awaited: while the disk syncs (milliseconds each) other work goes on, and a group
 * commit gathers the changes that arrive meanwhile. Resolves only once the file and its folder are
 * on disk.
 */
export async function writeFileAtomic(path: string, text: string, mode: number): Promise<void> {
  const dir = dirname(path);
  const temp = tempPath(path);
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    file = await open(temp, 'wx', mode);
    await file.chmod(mode);
    await file.writeFile(text);
    await file.sync();
    await file.close();
    file = undefined;
    await rename(temp, path);
  } catch (error) {
    await file?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** A temp file beside `path` (same file system, so the rename is atomic), unique to this process and call. */
function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}
