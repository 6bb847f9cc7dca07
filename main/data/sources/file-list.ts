// Runs anywhere in main: a compact list of (file, label) pairs, so a million-file dataset costs megabytes, not a heap of strings.
import path from 'node:path';

const encoder = new TextEncoder();

/** What decode threads need to turn an index into a path; the arrays live in shared memory, so sending it copies nothing. */
export interface SharedFileList {
  id: string;
  folders: string[];
  names: Uint8Array;
  nameEnd: Uint32Array;
  folderOf: Uint32Array;
}

type Kind = new (buffer: SharedArrayBuffer) => Uint8Array | Uint32Array | Int32Array;

/** Limits of one list: address space reserved up front, memory committed only as it fills. */
const MAX_FILES = 2 ** 27;
const MAX_NAME_BYTES = 2 ** 31;

/**
 * A typed array over a growable SharedArrayBuffer: it grows in place (no copy, no doubled peak while a list of a
 * million files is built) and is shared with decode threads as it is.
 */
class GrowableArray<A extends Uint8Array | Uint32Array | Int32Array> {
  readonly array: A;
  readonly #buffer: SharedArrayBuffer;
  readonly #bytesPer: number;

  constructor(Kind: Kind & { BYTES_PER_ELEMENT: number }, maxLength: number) {
    this.#bytesPer = Kind.BYTES_PER_ELEMENT;
    this.#buffer = new SharedArrayBuffer(4096, { maxByteLength: maxLength * this.#bytesPer });
    this.array = new Kind(this.#buffer) as A; // length-tracking: follows the buffer as it grows
  }

  ensure(length: number): void {
    if (length <= this.array.length) return;
    if (length * this.#bytesPer > this.#buffer.maxByteLength) throw new RangeError('file list is larger than Tributary supports');
    const bytes = Math.min(this.#buffer.maxByteLength, Math.max(length * this.#bytesPer, Math.ceil(this.#buffer.byteLength * 1.5)));
    this.#buffer.grow(bytes);
  }
}

let nextId = 0;

/**
 * Files as folder index + UTF-8 name bytes in one buffer, labels in a typed array. Folders are absolute and names
 * are plain file names, so a path is a concatenation (no path.join per sample on the hot path).
 */
export class FileList {
  readonly id = `files-${process.pid}-${nextId++}`;
  readonly folders: string[] = [];
  readonly #folderIndex = new Map<string, number>();
  #names: Uint8Array;
  #nameEnd: Uint32Array;
  #folderOf: Uint32Array;
  #labels: Int32Array;
  #growing: {
    names: GrowableArray<Uint8Array>;
    nameEnd: GrowableArray<Uint32Array>;
    folderOf: GrowableArray<Uint32Array>;
    labels: GrowableArray<Int32Array>;
  } | null;
  #bytes = 0;
  #length = 0;

  constructor(shared?: SharedFileList) {
    if (shared) {
      // A read-only view over a list another thread shared (labels stay behind: decode threads do not need them).
      this.folders.push(...shared.folders);
      ({ names: this.#names, nameEnd: this.#nameEnd, folderOf: this.#folderOf } = shared);
      this.#labels = new Int32Array(0);
      this.#length = shared.nameEnd.length;
      this.#growing = null;
      return;
    }
    this.#growing = {
      names: new GrowableArray(Uint8Array, MAX_NAME_BYTES),
      nameEnd: new GrowableArray(Uint32Array, MAX_FILES),
      folderOf: new GrowableArray(Uint32Array, MAX_FILES),
      labels: new GrowableArray(Int32Array, MAX_FILES),
    };
    this.#names = this.#growing.names.array;
    this.#nameEnd = this.#growing.nameEnd.array;
    this.#folderOf = this.#growing.folderOf.array;
    this.#labels = this.#growing.labels.array;
  }

  get length(): number {
    return this.#length;
  }

  /** The index files use to name `folder` (registered on first use). */
  addFolder(folder: string): number {
    let index = this.#folderIndex.get(folder);
    if (index === undefined) {
      index = this.folders.push(folder) - 1;
      this.#folderIndex.set(folder, index);
    }
    return index;
  }

  /** A file `name` (no separators) in a registered folder. */
  add(folder: number, name: string, label: number): void {
    const growing = this.#growing;
    if (!growing) throw new Error('this file list is sealed');
    const bytes = encoder.encode(name);
    growing.names.ensure(this.#bytes + bytes.length);
    for (const column of [growing.nameEnd, growing.folderOf, growing.labels]) column.ensure(this.#length + 1);
    this.#names.set(bytes, this.#bytes);
    this.#bytes += bytes.length;
    this.#nameEnd[this.#length] = this.#bytes;
    this.#folderOf[this.#length] = folder;
    this.#labels[this.#length] = label;
    this.#length++;
  }

  /** A file given by a path relative to `base` (or absolute): its folder is registered, normalized. */
  addPath(base: string, file: string, label: number): void {
    const full = path.resolve(base, file);
    this.add(this.addFolder(path.dirname(full)), path.basename(full), label);
  }

  path(i: number): string {
    const start = i === 0 ? 0 : this.#nameEnd[i - 1]!;
    const names = this.#names;
    const name = Buffer.from(names.buffer, names.byteOffset + start, this.#nameEnd[i]! - start).toString('utf8');
    return this.folders[this.#folderOf[i]!]! + path.sep + name;
  }

  label(i: number): number {
    return this.#labels[i]!;
  }

  /** Fix the list: views of exactly its length from here on, so it can be shared. */
  seal(): this {
    if (!this.#growing) return this;
    this.#names = this.#names.subarray(0, this.#bytes);
    this.#nameEnd = this.#nameEnd.subarray(0, this.#length);
    this.#folderOf = this.#folderOf.subarray(0, this.#length);
    this.#labels = this.#labels.subarray(0, this.#length);
    this.#growing = null;
    return this;
  }

  /** For decode threads; call after seal(). */
  shared(): SharedFileList {
    return { id: this.id, folders: this.folders, names: this.#names, nameEnd: this.#nameEnd, folderOf: this.#folderOf };
  }
}
