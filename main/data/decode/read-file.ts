// Runs in a decode worker thread (or inline): reads one image file's bytes, safely and with as few system calls as possible.
import { closeSync, constants, openSync, readSync } from 'node:fs';

/** Files are opened non-blocking so a FIFO named like an image cannot hang a worker forever. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const MIN_FILE_LIMIT = 64 * 2 ** 20;
let readBuffer = Buffer.allocUnsafe(1 << 16);

/**
 * The bytes of an image file, in a buffer this thread reuses (valid until its next call): open, read to the end,
 * close, and no stat, since per small file every system call shows. A directory fails its read (EISDIR); a FIFO
 * reads as empty; a device that never ends hits the size limit, which bounds what one bad file can allocate,
 * as no compressed image is much larger than its raw RGBA pixels.
 */
export function readImageFileReused(path: string, maxPixels: number): Uint8Array {
  const limit = Math.max(MIN_FILE_LIMIT, maxPixels * 8);
  const fd = openSync(path, OPEN_FLAGS);
  try {
    let filled = 0;
    for (;;) {
      if (filled === readBuffer.length) {
        if (filled >= limit) throw new Error(`file is larger than ${limit} bytes, more than any image under max_pixels could need`);
        readBuffer = Buffer.concat([readBuffer, Buffer.allocUnsafe(readBuffer.length)]);
      }
      const wanted = readBuffer.length - filled;
      const n = readSync(fd, readBuffer, filled, wanted, null);
      filled += n;
      // A short read of a regular file is its end: no second call just to see zero bytes (pipes read as empty).
      if (n < wanted) break;
    }
    if (filled === 0) throw new Error('empty file (zero bytes, or not a regular file)');
    return readBuffer.subarray(0, filled);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new Error('a folder, not a file', { cause: error });
    if (code === 'EAGAIN') throw new Error('not a regular file (a pipe or device)', { cause: error });
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** The same, in a buffer of its own: for code whose reads may overlap (a site's handler awaiting sharp). */
export function readImageFile(path: string, maxPixels: number): Uint8Array {
  return new Uint8Array(readImageFileReused(path, maxPixels)); // a copy: Buffer's own slice() would be a view
}
