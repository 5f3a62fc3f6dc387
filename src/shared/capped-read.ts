import { closeSync, openSync, readSync } from 'node:fs';

/**
 * A file's first bytes, at most `max` (+1 read to notice more), so an endless file (/dev/zero, a
 * pipe that never closes its end) cannot hang or fill memory. `undefined` when it is longer.
 */
export function readFileCapped(path: string, max: number): Buffer | undefined {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(max + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > max) return undefined;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
