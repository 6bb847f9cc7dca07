// Runs in main (plain Node): writes a file so that a crash leaves the old text or the new one, never half of each.
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * Temp file in the same folder, fsync, rename, then fsync the folder (best effort). A symlink is followed so
 * the link survives, and the file keeps its permissions: a config may hold secrets, and a save must not widen
 * who can read it.
 */
export async function writeTextAtomically(file: string, text: string): Promise<string> {
  const target = await realpath(file).catch(() => path.resolve(file));
  const dir = path.dirname(target);
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = await stat(target).then(
    (s) => s.mode & 0o777,
    () => 0o666,
  );
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (process.platform !== 'win32') {
    const folder = await open(dir, 'r').catch(() => undefined);
    await folder?.sync().catch(() => undefined);
    await folder?.close();
  }
  return target;
}
