// Runs anywhere in main: a compact list of (file, label) pairs, so a million-file dataset costs megabytes, not a heap of strings.
import path from 'node:path';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Files as folder index + UTF-8 name bytes in one growing buffer; labels as a typed array. */
export class FileList {
  readonly folders: string[] = [];
  readonly #folderIndex = new Map<string, number>();
  #names = new Uint8Array(1 << 16);
  #nameEnd = new Uint32Array(1024);
  #folderOf = new Uint32Array(1024);
  #labels = new Int32Array(1024);
  #bytes = 0;
  #length = 0;

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

  add(folder: number, name: string, label: number): void {
    const bytes = encoder.encode(name);
    this.#reserve(bytes.length);
    this.#names.set(bytes, this.#bytes);
    this.#bytes += bytes.length;
    this.#nameEnd[this.#length] = this.#bytes;
    this.#folderOf[this.#length] = folder;
    this.#labels[this.#length] = label;
    this.#length++;
  }

  path(i: number): string {
    const start = i === 0 ? 0 : this.#nameEnd[i - 1]!;
    const name = decoder.decode(this.#names.subarray(start, this.#nameEnd[i]!));
    return path.join(this.folders[this.#folderOf[i]!]!, name);
  }

  label(i: number): number {
    return this.#labels[i]!;
  }

  /** Drop the spare capacity once the list is complete. */
  seal(): this {
    this.#names = this.#names.slice(0, this.#bytes);
    this.#nameEnd = this.#nameEnd.slice(0, this.#length);
    this.#folderOf = this.#folderOf.slice(0, this.#length);
    this.#labels = this.#labels.slice(0, this.#length);
    return this;
  }

  #reserve(nameBytes: number): void {
    if (this.#length === this.#nameEnd.length) {
      const grow = <T extends Uint32Array | Int32Array>(a: T): T => {
        const bigger = new (a.constructor as new (n: number) => T)(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      this.#nameEnd = grow(this.#nameEnd);
      this.#folderOf = grow(this.#folderOf);
      this.#labels = grow(this.#labels);
    }
    if (this.#bytes + nameBytes > this.#names.length) {
      const bigger = new Uint8Array(Math.max(this.#names.length * 2, this.#bytes + nameBytes));
      bigger.set(this.#names.subarray(0, this.#bytes));
      this.#names = bigger;
    }
  }
}
