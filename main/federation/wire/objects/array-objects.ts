// Runs anywhere in Node: one array as an Array object over ArrayChunk objects, and back, with the npy checks.
import { WireError } from '../errors.js';
import { DTYPES, elementCount, isDtype, type AnyNdArray } from '../npy/dtypes.js';
import { decodeNpy, encodeNpy } from '../npy/npy.js';
import type { ObjectTree } from '../proto/record-types.js';
import type { ParsedObject } from './object-bytes.js';
import type { ObjectSink } from './object-sink.js';
import { pythonJson } from './python-json.js';

/** Flower's FLWR_PRIVATE_MAX_ARRAY_CHUNK_SIZE default: 5 MiB per ArrayChunk. */
export const MAX_CHUNK_BYTES = 5 * 1024 * 1024;
/** Flower's SType.NUMPY: Array.data is a complete .npy file. */
export const NUMPY_STYPE = 'numpy.ndarray';

/** The .npy file cut into chunks; the body lists, per chunk in order, its index in the header's unique child ids. */
export function deflateArray(sink: ObjectSink, array: AnyNdArray, what: string, chunkSize = MAX_CHUNK_BYTES): ObjectTree {
  const npy = encodeNpy(array, what);
  const chunks: ObjectTree[] = [];
  for (let start = 0; start < npy.length; start += chunkSize)
    chunks.push(sink.add('ArrayChunk', [], npy.subarray(start, start + chunkSize)));
  const uniqueIds = [...new Set(chunks.map((chunk) => chunk.objectId))];
  const body = pythonJson({
    dtype: array.dtype,
    shape: array.shape,
    stype: NUMPY_STYPE,
    arraychunk_ids: chunks.map((chunk) => uniqueIds.indexOf(chunk.objectId)),
  });
  return sink.add('Array', chunks, new TextEncoder().encode(body));
}

interface ArrayBody {
  dtype: string;
  shape: number[];
  stype: string;
  arraychunk_ids: number[];
}

/**
 * Reassembles an Array from its chunks and decodes its .npy eagerly, so every check (chunk indexes, the byte
 * ceiling before allocating, dtype and shape agreeing with the npy header) happens while inflating.
 * `budget` is what this message may still allocate; the array's bytes are taken from it.
 */
export function inflateArray(
  array: ParsedObject,
  chunks: ReadonlyMap<string, ParsedObject>,
  budget: { bytes: number },
  what: string,
): AnyNdArray {
  const meta = parseArrayBody(array, what);
  if (meta.stype !== NUMPY_STYPE)
    throw new WireError(`${what}: stype ${JSON.stringify(meta.stype)} is not supported (only ${NUMPY_STYPE})`);
  const legacy = isLegacyArray(meta, what);
  if (!legacy && !isDtype(meta.dtype)) throw new WireError(`${what}: dtype ${JSON.stringify(meta.dtype)} is not supported`);
  const npy = assembleChunks(array, meta.arraychunk_ids, chunks, budget.bytes, what);
  const decoded = decodeNpy(npy, { maxBytes: budget.bytes, what });
  if (!legacy) checkAgrees(meta, decoded, what);
  budget.bytes -= npy.length;
  return decoded;
}

/** What an Array's body says of its values before any chunk is read. */
export interface DeclaredArray {
  dtype: string;
  shape: number[];
  bytes: number;
}

/** Undefined where the body does not say (Flower's legacy arrays) or cannot be read: inflating it gives the reason then. */
export function declaredArray(array: ParsedObject): DeclaredArray | undefined {
  try {
    const { dtype, shape } = parseArrayBody(array, 'array');
    return isDtype(dtype) ? { dtype, shape, bytes: DTYPES[dtype].itemSize * elementCount(shape) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Flower's compat layer (parameters_to_arrayrecord, used by the flwr.server.strategy.* strategies) records neither
 * dtype nor shape: it sends dtype "" and shape [], and the .npy header alone says both. A shape without a dtype
 * is no form Flower writes.
 */
function isLegacyArray(meta: ArrayBody, what: string): boolean {
  if (meta.dtype !== '') return false;
  if (meta.shape.length > 0) throw new WireError(`${what}: Array gives shape [${meta.shape.join(', ')}] but no dtype`);
  return true;
}

function checkAgrees(meta: ArrayBody, decoded: AnyNdArray, what: string): void {
  if (decoded.dtype !== meta.dtype) throw new WireError(`${what}: Array says dtype ${meta.dtype} but its npy holds ${decoded.dtype}`);
  if (decoded.shape.length !== meta.shape.length || decoded.shape.some((dim, axis) => dim !== meta.shape[axis])) {
    throw new WireError(`${what}: Array says shape [${meta.shape.join(', ')}] but its npy holds [${decoded.shape.join(', ')}]`);
  }
}

/** The chunks' bodies in the order the indexes give, sized against `maxBytes` before anything is allocated. */
function assembleChunks(
  array: ParsedObject,
  indexes: number[],
  chunks: ReadonlyMap<string, ParsedObject>,
  maxBytes: number,
  what: string,
): Uint8Array {
  const bad = indexes.find((index) => index >= array.childIds.length);
  if (bad !== undefined)
    throw new WireError(`${what}: chunk index ${bad} is out of range (object ${array.id} has ${array.childIds.length} children)`);
  const used = new Set(indexes).size;
  if (used !== array.childIds.length)
    throw new WireError(`${what}: object ${array.id} lists ${array.childIds.length} chunks but its body uses ${used}`);
  const parts = indexes.map((index) => chunkBody(chunks, array.childIds[index]!, what));
  const size = parts.reduce((total, part) => total + part.length, 0);
  if (size > maxBytes)
    throw new WireError(`${what}: its chunks add up to ${size} bytes, more than the ${maxBytes} bytes left under the ceiling`);
  const npy = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    npy.set(part, offset);
    offset += part.length;
  }
  return npy;
}

function chunkBody(chunks: ReadonlyMap<string, ParsedObject>, id: string, what: string): Uint8Array {
  const chunk = chunks.get(id);
  if (chunk?.type !== 'ArrayChunk')
    throw new WireError(`${what}: child ${id} is ${chunk ? `a ${chunk.type}` : 'missing'}, not an ArrayChunk`);
  return chunk.body;
}

function parseArrayBody(array: ParsedObject, what: string): ArrayBody {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(array.body));
  } catch {
    throw new WireError(`${what}: object ${array.id} body is not JSON`);
  }
  const keys = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body).sort().join() : '';
  const { dtype, shape, stype, arraychunk_ids: chunkIds } = (body ?? {}) as Partial<ArrayBody>;
  const indexes = (list: unknown) => Array.isArray(list) && list.every((item) => Number.isSafeInteger(item) && item >= 0);
  if (
    keys !== 'arraychunk_ids,dtype,shape,stype' ||
    typeof dtype !== 'string' ||
    typeof stype !== 'string' ||
    !indexes(shape) ||
    !indexes(chunkIds)
  ) {
    throw new WireError(`${what}: object ${array.id} body is not {"dtype", "shape", "stype", "arraychunk_ids"}`);
  }
  return body as ArrayBody;
}
