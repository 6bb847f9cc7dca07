// Runs in main (plain Node): writes a new file atomically and never over an existing one (`tributary init`, the app's New site).
import { randomBytes } from 'node:crypto';
import { link, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeTextAtomically } from './atomic-write.js';
import { fsProblem } from './fs-problem.js';

export class FileExistsError extends Error {
  override name = 'FileExistsError';
}

/**
 * Temp file in the same folder, fsync, then link() to the target: link fails when the target exists, so a file made
 * meanwhile by anyone else is never replaced, and the target appears whole or not at all. `replace` overwrites
 * (rename, as every save does).
 */
export async function writeNewText(file: string, text: string, replace = false): Promise<string> {
  const target = path.resolve(file);
  if (replace) return writeTextAtomically(target, text);
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.new`);
  try {
    const handle = await open(temp, 'wx', 0o666);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(`${target} exists: not overwritten`);
    throw new Error(`cannot write ${target}: ${fsProblem(error)}`, { cause: error });
  } finally {
    await rm(temp, { force: true });
  }
  return target;
}
