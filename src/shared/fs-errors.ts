/** What a failed write means, in words, for the conditions a machine really runs into. */
const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EIO: 'an input/output error',
  ENOTDIR: 'a part of the path is not a folder',
  ENOENT: 'its folder does not exist',
  EISDIR: 'it is a folder',
};

/** `the disk is full (ENOSPC)`: a filesystem error's code in words, for a message. */
export function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code ?? 'EIO';
  return `${WRITE_ERRORS[code] ?? code} (${code})`;
}
