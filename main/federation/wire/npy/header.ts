// Runs anywhere: the .npy header, written byte for byte as numpy's np.save writes it and read strictly (v1, v2, v3).
import { WireError } from '../errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** numpy leaves room to grow the first axis in place: its header always has space for a 21-digit length. */
const GROWTH_AXIS_MAX_DIGITS = 21;
/** numpy.load refuses longer headers by default (max_header_size), as a guard against slow literal parsing. */
export const MAX_HEADER_BYTES = 10_000;

export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Where the array data starts in the file. */
  dataOffset: number;
}

/** Magic, version, header length and the padded header dict, exactly as numpy writes them for a C-order array. */
export function formatNpyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${tuple}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  // Version 1.0 has a 2-byte length; numpy moves to 2.0 (4 bytes) only when the header does not fit.
  const fitsV1 = paddedLength(dict.length, 10) <= 0xffff;
  const prefixLength = fitsV1 ? 10 : 12;
  const headerLength = paddedLength(dict.length, prefixLength);
  const bytes = new Uint8Array(prefixLength + headerLength).fill(0x20);
  bytes.set(MAGIC);
  bytes[6] = fitsV1 ? 1 : 2;
  bytes[7] = 0;
  const view = new DataView(bytes.buffer);
  if (fitsV1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  bytes.set(new TextEncoder().encode(dict), prefixLength);
  bytes[bytes.length - 1] = 0x0a;
  return bytes;
}

/** numpy pads with spaces to the next multiple of 64, a whole 64 when already aligned, then adds the newline. */
function paddedLength(dictLength: number, prefixLength: number): number {
  const unpadded = dictLength + 1;
  return unpadded + ALIGN - ((prefixLength + unpadded) % ALIGN);
}

/** Reads magic, version and header dict; refuses anything numpy would not write for a plain array. */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  if (bytes.length < 10 || MAGIC.some((byte, i) => bytes[i] !== byte)) throw new WireError('not an npy file (no \\x93NUMPY magic)');
  const [major, minor] = [bytes[6]!, bytes[7]!];
  if (![1, 2, 3].includes(major) || minor !== 0)
    throw new WireError(`npy format version ${major}.${minor} is not supported (1.0, 2.0, 3.0 are)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefixLength = major === 1 ? 10 : 12;
  if (bytes.length < prefixLength) throw new WireError('npy file ends inside its header length');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES) throw new WireError(`npy header of ${headerLength} bytes is longer than ${MAX_HEADER_BYTES}`);
  const dataOffset = prefixLength + headerLength;
  if (dataOffset > bytes.length)
    throw new WireError(`npy header claims ${headerLength} bytes but the file has ${bytes.length - prefixLength} after the prefix`);
  const headerBytes = bytes.subarray(prefixLength, dataOffset);
  const text = major === 3 ? decodeUtf8(headerBytes) : String.fromCharCode(...headerBytes);
  return { ...parseHeaderDict(text), dataOffset };
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new WireError('npy v3 header is not valid UTF-8');
  }
}

type Literal = string | boolean | number[];
const KEYS = ['descr', 'fortran_order', 'shape'];

/** The header's Python dict literal: exactly the keys descr (str), fortran_order (bool) and shape (tuple of ints). */
function parseHeaderDict(text: string): Omit<NpyHeader, 'dataOffset'> {
  const cursor = new Cursor(text);
  const dict = new Map<string, Literal>();
  cursor.take('{');
  while (!cursor.tryTake('}')) {
    const key = readString(cursor);
    if (dict.has(key)) throw cursor.fail(`key ${key} appears twice`);
    cursor.take(':');
    dict.set(key, readValue(cursor));
    if (!cursor.tryTake(',')) {
      cursor.take('}');
      break;
    }
  }
  if (cursor.peek() !== '') throw cursor.fail('text after the dict');
  if (dict.size !== KEYS.length || !KEYS.every((key) => dict.has(key))) throw cursor.fail(`keys must be ${KEYS.join(', ')}`);
  const [descr, fortranOrder, shape] = KEYS.map((key) => dict.get(key));
  if (typeof descr !== 'string') throw cursor.fail('descr is not a string');
  if (typeof fortranOrder !== 'boolean') throw cursor.fail('fortran_order is not True or False');
  if (!Array.isArray(shape)) throw cursor.fail('shape is not a tuple of integers');
  if (fortranOrder) throw new WireError('npy array is in Fortran order; only C order is accepted');
  return { descr, fortranOrder, shape };
}

function readString(cursor: Cursor): string {
  const quoted = cursor.match(/'[^'\\]*'|"[^"\\]*"/y);
  if (quoted === undefined) throw cursor.fail('expected a quoted string');
  return quoted.slice(1, -1);
}

function readValue(cursor: Cursor): Literal {
  const next = cursor.peek();
  if (next === "'" || next === '"') return readString(cursor);
  if (next === '(') return readShape(cursor);
  if (next === '[') throw cursor.fail('structured dtypes are not supported');
  const word = cursor.match(/True|False/y);
  if (word === undefined) throw cursor.fail('a value is not a str, a bool or a tuple');
  return word === 'True';
}

/** A tuple of ints; a single int needs its trailing comma, as in Python. */
function readShape(cursor: Cursor): number[] {
  cursor.take('(');
  const dims: number[] = [];
  let commas = 0;
  while (!cursor.tryTake(')')) {
    const digits = cursor.match(/\d+/y);
    if (digits === undefined) throw cursor.fail('shape holds something other than non-negative integers');
    dims.push(Number(digits));
    if (cursor.tryTake(',')) commas += 1;
    else {
      cursor.take(')');
      break;
    }
  }
  if (dims.length === 1 && commas === 0) throw cursor.fail('shape (n) is an int, not a tuple');
  return dims;
}

class Cursor {
  private at = 0;
  constructor(private readonly text: string) {}

  peek(): string {
    while (/\s/.test(this.text[this.at] ?? '')) this.at += 1;
    return this.text[this.at] ?? '';
  }

  tryTake(char: string): boolean {
    if (this.peek() !== char) return false;
    this.at += 1;
    return true;
  }

  take(char: string): void {
    if (!this.tryTake(char)) throw this.fail(`expected '${char}'`);
  }

  /** `pattern` must be sticky (/y) so it matches exactly here. */
  match(pattern: RegExp): string | undefined {
    this.peek();
    pattern.lastIndex = this.at;
    const found = pattern.exec(this.text)?.[0];
    if (found !== undefined) this.at += found.length;
    return found;
  }

  fail(problem: string): WireError {
    return new WireError(`npy header ${JSON.stringify(this.text.trim().slice(0, 200))}: ${problem}`);
  }
}
