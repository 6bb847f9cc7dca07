// Runs wherever DICOM is decoded: the transfer syntaxes this decoder reads, and the names of the ones it refuses.

export type Codec = 'native' | 'rle' | 'jpeg-baseline' | 'jpeg-lossless' | 'jpeg-ls' | 'j2k';

export interface Syntax {
  name: string;
  codec: Codec;
  /** Encoded values are not exactly the stored ones (tests allow one grey level). */
  lossy: boolean;
}

export const SYNTAXES: Record<string, Syntax> = {
  '1.2.840.10008.1.2': { name: 'implicit VR little endian', codec: 'native', lossy: false },
  '1.2.840.10008.1.2.1': { name: 'explicit VR little endian', codec: 'native', lossy: false },
  '1.2.840.10008.1.2.1.99': { name: 'deflated explicit VR little endian', codec: 'native', lossy: false },
  '1.2.840.10008.1.2.5': { name: 'RLE lossless', codec: 'rle', lossy: false },
  '1.2.840.10008.1.2.4.50': { name: 'JPEG baseline (process 1)', codec: 'jpeg-baseline', lossy: true },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG lossless (process 14)', codec: 'jpeg-lossless', lossy: false },
  '1.2.840.10008.1.2.4.70': { name: 'JPEG lossless (process 14, SV1)', codec: 'jpeg-lossless', lossy: false },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS lossless', codec: 'jpeg-ls', lossy: false },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS near-lossless', codec: 'jpeg-ls', lossy: true },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 lossless', codec: 'j2k', lossy: false },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', codec: 'j2k', lossy: true },
};

/** Names for the refusal message of syntaxes seen in real exports that this decoder does not read. */
const UNSUPPORTED: Record<string, string> = {
  '1.2.840.10008.1.2.2': 'explicit VR big endian (retired)',
  '1.2.840.10008.1.2.4.51': 'JPEG extended (process 2 and 4, 12-bit lossy)',
  '1.2.840.10008.1.2.4.100': 'MPEG2',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.201': 'HTJ2K lossless',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
};

export function syntaxName(uid: string): string {
  return SYNTAXES[uid]?.name ?? UNSUPPORTED[uid] ?? 'unknown';
}
