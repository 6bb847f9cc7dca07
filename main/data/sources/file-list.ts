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

let nextId = 0;

function toShared<T extends Uint8Array | Uint32Array | Int32Array>(array: T, length: number): T {
  const Kind = array.constructor as new (buffer: SharedArrayBuffer, offset: number, length: number) => T;
  const shared = new Kind(new SharedArrayBuffer(length * array.BYTES_PER_ELEMENT), 0, length);
  shared.set(array.subarray(0, length));
  return shared;
}

function grown<T extends Uint8Array | Uint32Array | Int32Array>(array: T, atLeast: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(array.length * 2, atLeast));
  bigger.set(array);
  return bigger;
}

/**
 * Files as folder index + UTF-8 name bytes in one buffer, labels in a typed array. Folders are absolute and names
 * are plain file names, so a path is a concatenation (no path.join per sample on the hot path).
 */
export class FileList {
  readonly id = `files-${process.pid}-${nextId++}`;
  readonly folders: string[] = [];
  readonly #folderIndex = new Map<string, number>();
  #names: Uint8Array = new Uint8Array(1 << 16);
  #nameEnd: Uint32Array = new Uint32Array(1024);
  #folderOf: Uint32Array = new Uint32Array(1024);
  #labels: Int32Array = new Int32Array(1024);
  #bytes = 0;
  #length = 0;

  /** A read-only view over a list another thread shared (labels are not shared: decode threads do not need them). */
  static fromShared(shared: SharedFileList): FileList {
    const list = new FileList();
    list.folders.push(...shared.folders);
    list.#names = shared.names;
    list.#nameEnd = shared.nameEnd;
    list.#folderOf = shared.folderOf;
    list.#length = shared.nameEnd.length;
    return list;
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
    const bytes = encoder.encode(name);
    if (this.#length === this.#nameEnd.length) {
      this.#nameEnd = grown(this.#nameEnd, 0);
      this.#folderOf = grown(this.#folderOf, 0);
      this.#labels = grown(this.#labels, 0);
    }
    if (this.#bytes + bytes.length > this.#names.length) this.#names = grown(this.#names, this.#bytes + bytes.length);
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

  /** Fix the list: move it into shared memory, without spare capacity. */
  seal(): this {
    this.#names = toShared(this.#names, this.#bytes);
    this.#nameEnd = toShared(this.#nameEnd, this.#length);
    this.#folderOf = toShared(this.#folderOf, this.#length);
    this.#labels = this.#labels.slice(0, this.#length);
    return this;
  }

  /** For decode threads; call after seal(). */
  shared(): SharedFileList {
    return { id: this.id, folders: this.folders, names: this.#names, nameEnd: this.#nameEnd, folderOf: this.#folderOf };
  }
}
