// Runs in main (plain Node): a failed file operation in words a site operator can act on, the one list every reader and writer uses.

const PLAIN: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  ENOTDIR: 'a folder on its path is a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
};

/** The plain words for a file system error's code; the system's own message for codes without them. */
export function fsProblem(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return (code && PLAIN[code]) ?? message;
}
