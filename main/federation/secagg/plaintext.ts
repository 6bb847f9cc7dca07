// Runs anywhere: the plaintext a share_keys ciphertext carries (Flower's share_keys_plaintext_concat / _separate).
import { SecAggError } from './errors.js';

const HEADER_BYTES = 20; // source id (8), destination id (8), seed-share length (4), all little-endian

export interface SharePlaintext {
  src: bigint;
  dst: bigint;
  seedShare: Uint8Array;
  sk1Share: Uint8Array;
}

/** Source and destination node ids as unsigned 64-bit little-endian, the seed share's length, then both shares. */
export function concatSharePlaintext(parts: SharePlaintext): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + parts.seedShare.length + parts.sk1Share.length);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, parts.src, true);
  view.setBigUint64(8, parts.dst, true);
  view.setUint32(16, parts.seedShare.length, true);
  bytes.set(parts.seedShare, HEADER_BYTES);
  bytes.set(parts.sk1Share, HEADER_BYTES + parts.seedShare.length);
  return bytes;
}

/** The four parts back; a plaintext too short for its own header or seed-share length is refused. */
export function separateSharePlaintext(bytes: Uint8Array): SharePlaintext {
  if (bytes.length < HEADER_BYTES) throw new SecAggError(`share plaintext of ${bytes.length} bytes is shorter than its 20-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const seedLength = view.getUint32(16, true);
  if (HEADER_BYTES + seedLength > bytes.length)
    throw new SecAggError(`share plaintext says its seed share has ${seedLength} bytes, more than it holds`);
  return {
    src: view.getBigUint64(0, true),
    dst: view.getBigUint64(8, true),
    seedShare: bytes.slice(HEADER_BYTES, HEADER_BYTES + seedLength),
    sk1Share: bytes.slice(HEADER_BYTES + seedLength),
  };
}
