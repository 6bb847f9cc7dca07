// Runs wherever NIfTI is read (decode thread or inline): a NIfTI-1/-2 header, parsed by nifti-reader-js, checked before any voxel is read.
import { NIFTI1, NIFTI2 } from 'nifti-reader-js';
import { NiftiDecodeError } from './errors.js';

/** The datatypes read, by NIfTI code: integers and floats that a Float32Array holds as numpy's astype(float32) does. */
export const DATATYPES = {
  2: { name: 'uint8', bytes: 1 },
  4: { name: 'int16', bytes: 2 },
  8: { name: 'int32', bytes: 4 },
  16: { name: 'float32', bytes: 4 },
  64: { name: 'float64', bytes: 8 },
  256: { name: 'int8', bytes: 1 },
  512: { name: 'uint16', bytes: 2 },
  768: { name: 'uint32', bytes: 4 },
} as const;
export type DatatypeCode = keyof typeof DATATYPES;
export type DatatypeName = (typeof DATATYPES)[DatatypeCode]['name'];

/** Names of the codes not read, so a refusal says what the file holds. */
const UNSUPPORTED: Record<number, string> = {
  0: 'unknown',
  1: 'binary (1 bit)',
  32: 'complex64',
  128: 'RGB24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'RGBA32',
};

export interface NiftiLimits {
  /** Voxels one volume may declare; checked before anything of that size is allocated. */
  maxVoxels: number;
}

/** 2^27 voxels: a 512x512x512 volume; 512 MB as float32, the largest a decode thread is asked to hold. */
export const DEFAULT_NIFTI_LIMITS: NiftiLimits = { maxVoxels: 2 ** 27 };

export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** [nx, ny, nz]: voxel counts along the file's axes i, j, k (1 for a 2-D image's k). */
  dims: [number, number, number];
  /** pixdim[1..3]: voxel size along i, j, k, in the file's spatial unit (usually mm). */
  spacing: [number, number, number];
  datatype: DatatypeName;
  bytesPerVoxel: number;
  /** Where the voxels start in the (inflated) file. */
  voxOffset: number;
  /** scl_slope and scl_inter when they apply; null when the file asks for none (slope 0 or not finite, per the standard). */
  scaling: { slope: number; inter: number } | null;
  /** cal_min / cal_max, the display range of the scaled values, when the file sets one (max above min). */
  displayRange: { min: number; max: number } | null;
  voxels: number;
}

/** Header bytes needed to know the version, endianness and layout: NIfTI-2's 540 plus the 4-byte extension flag. */
export const HEADER_BYTES = 544;

/** sizeof_hdr: 348 for NIfTI-1, 540 for NIfTI-2, in either byte order; anything else is not NIfTI. */
function versionOf(bytes: Uint8Array, file: string): { version: 1 | 2; littleEndian: boolean } {
  if (bytes.length < 4) throw new NiftiDecodeError(file, `${bytes.length} bytes: too short for a NIfTI header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const littleEndian of [true, false]) {
    const size = view.getInt32(0, littleEndian);
    if (size === 348 || size === 540) return { version: size === 348 ? 1 : 2, littleEndian };
  }
  throw new NiftiDecodeError(file, 'not a NIfTI file (sizeof_hdr is neither 348 nor 540)');
}

/**
 * Parse and check a header. Only the fixed header is handed to nifti-reader-js, never the extension area: its
 * extension walker trusts esize (a negative one loops forever), and no extension is needed to read voxels.
 */
export function parseHeader(bytes: Uint8Array, file: string, limits: NiftiLimits = DEFAULT_NIFTI_LIMITS): NiftiHeader {
  const { version, littleEndian } = versionOf(bytes, file);
  const length = version === 1 ? 348 : 540;
  if (bytes.length < length) throw new NiftiDecodeError(file, `truncated header: ${bytes.length} of ${length} bytes`);
  const fixed = bytes.slice(0, length).buffer;
  const header = version === 1 ? new NIFTI1() : new NIFTI2();
  try {
    header.readHeader(fixed);
  } catch (error) {
    throw new NiftiDecodeError(file, `unreadable NIfTI-${version} header: ${(error as Error).message}`, { cause: error });
  }
  // The parser drops NULs: NIfTI-2's "n+2\0\r\n\x1a\n" reads "n+2\r\n\x1a\n"; its first three characters name the kind.
  const magic = header.magic.slice(0, 3);
  if (magic !== `n+${version}`) {
    const pair = magic === 'ni1' || magic === 'ni2';
    throw new NiftiDecodeError(
      file,
      pair ? 'a .hdr/.img pair header: only single-file .nii is read' : `bad magic ${JSON.stringify(magic)}`,
    );
  }
  const type = datatypeOf(header.datatypeCode, header.numBitsPerVoxel, file);
  const dims = spatialDims(header.dims, file);
  const voxels = dims[0] * dims[1] * dims[2];
  if (voxels > limits.maxVoxels)
    throw new NiftiDecodeError(file, `declares ${dims.join('x')} = ${voxels} voxels, more than max_voxels (${limits.maxVoxels})`);
  const voxOffset = voxelOffset(header.vox_offset, version, file);
  return {
    version,
    littleEndian,
    dims,
    spacing: [1, 2, 3].map((axis) => Math.abs(header.pixDims[axis] ?? 0) || 1) as [number, number, number],
    datatype: type.name,
    bytesPerVoxel: type.bytes,
    voxOffset,
    scaling: scalingOf(header.scl_slope, header.scl_inter, file),
    displayRange:
      Number.isFinite(header.cal_min) && Number.isFinite(header.cal_max) && header.cal_max > header.cal_min
        ? { min: header.cal_min, max: header.cal_max }
        : null,
    voxels,
  };
}

function datatypeOf(code: number, bitpix: number, file: string): (typeof DATATYPES)[DatatypeCode] {
  const type = DATATYPES[code as DatatypeCode];
  if (!type) throw new NiftiDecodeError(file, `datatype ${code} (${UNSUPPORTED[code] ?? 'not a NIfTI datatype'}) is not read`);
  if (bitpix !== type.bytes * 8) throw new NiftiDecodeError(file, `bitpix ${bitpix} disagrees with datatype ${type.name}`);
  return type;
}

/**
 * dim[1..3], with dim[0] saying how many count. A 4-D or larger file is read only when its extra dimensions are 1:
 * a time series is several volumes, and which one a sample is cannot be guessed.
 */
function spatialDims(dim: number[], file: string): [number, number, number] {
  const rank = dim[0]!;
  if (!Number.isInteger(rank) || rank < 1 || rank > 7) throw new NiftiDecodeError(file, `dim[0] is ${rank}, not 1 to 7`);
  const sizes = dim.slice(1, rank + 1);
  const bad = sizes.findIndex((n) => !Number.isSafeInteger(n) || n < 1);
  if (bad >= 0) throw new NiftiDecodeError(file, `dim[${bad + 1}] is ${sizes[bad]}, not a positive size`);
  const extra = sizes.slice(3).reduce((a, b) => a * b, 1);
  if (extra > 1) throw new NiftiDecodeError(file, `a ${rank}-D image (${sizes.join('x')}): only 2-D and 3-D volumes are read`);
  return [sizes[0]!, sizes[1] ?? 1, sizes[2] ?? 1];
}

function voxelOffset(offset: number, version: 1 | 2, file: string): number {
  const start = version === 1 ? 352 : 544;
  if (!Number.isSafeInteger(offset) || offset < start)
    throw new NiftiDecodeError(file, `vox_offset ${offset} is not a byte offset at or after the header (${start})`);
  return offset;
}

/** As nibabel reads them: slope 0 or not finite means no scaling at all; a valid slope with an intercept that is not finite is an error. */
function scalingOf(slope: number, inter: number, file: string): NiftiHeader['scaling'] {
  if (slope === 0 || !Number.isFinite(slope)) return null;
  if (!Number.isFinite(inter)) throw new NiftiDecodeError(file, `scl_slope ${slope} with an scl_inter that is not a number (${inter})`);
  return slope === 1 && inter === 0 ? null : { slope, inter };
}
