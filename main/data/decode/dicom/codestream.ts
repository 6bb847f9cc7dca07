// Runs wherever DICOM is decoded: reads a compressed frame's own size claim, so it is checked before any codec allocates for it.
import { DicomDecodeError } from './errors.js';

export interface CodestreamSize {
  width: number;
  height: number;
  components: number;
}

/**
 * The size in a JPEG, JPEG-LS (their SOF marker: precision, lines, columns, components) or JPEG 2000 codestream
 * (its SIZ marker: the reference grid less its offset). Markers before it are skipped by their lengths.
 */
export function codestreamSize(frame: Uint8Array, name: string, file: string): CodestreamSize {
  const fail = (reason: string) => new DicomDecodeError(file, `corrupt ${name} fragment: ${reason}`);
  const u16 = (at: number) => (frame[at]! << 8) | frame[at + 1]!;
  const u32 = (at: number) => u16(at) * 65536 + u16(at + 2);
  if (frame[0] === 0xff && frame[1] === 0x4f) {
    // JPEG 2000: SOC, then SIZ is required to come first.
    if (frame.length < 42 || u16(2) !== 0xff51) throw fail('no SIZ marker after the start of the codestream');
    return { width: u32(8) - u32(16), height: u32(12) - u32(20), components: u16(40) };
  }
  if (frame[0] !== 0xff || frame[1] !== 0xd8) throw fail('the codestream does not start with a JPEG or JPEG 2000 marker');
  for (let at = 2; at + 4 <= frame.length;) {
    if (frame[at] !== 0xff) throw fail(`no marker at byte ${at} of the header`);
    const marker = frame[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    const isFrame = (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) || marker === 0xf7;
    if (isFrame) {
      if (at + 10 > frame.length) throw fail('the frame header is cut short');
      return { height: u16(at + 5), width: u16(at + 7), components: frame[at + 9]! };
    }
    at += 2 + u16(at + 2);
  }
  throw fail('no frame header (SOF) before the end of the fragment');
}
