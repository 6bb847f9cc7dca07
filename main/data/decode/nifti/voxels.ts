// Runs wherever NIfTI is read: raw voxel bytes to float32, scaled by scl_slope/scl_inter, whole or as one 2-D slice along an axis.
import type { NiftiHeader } from './header.js';
import type { VoxelRange } from './read.js';

export type Axis = 0 | 1 | 2;

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Voxel values in the host's byte order, as the typed array of their datatype. */
export type Values = Uint8Array | Int8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

const VIEWS = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/** The raw bytes as numbers of the file's datatype; bytes of the other byte order are swapped in place (raw is ours, read once). */
export function valuesOf(raw: Uint8Array, header: NiftiHeader): Values {
  const size = header.bytesPerVoxel;
  if (size > 1 && header.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(raw, size);
  const aligned = raw.byteOffset % size === 0 ? raw : raw.slice();
  return new VIEWS[header.datatype](aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.length / size);
}

function swapBytes(raw: Uint8Array, size: number): void {
  const half = size >> 1;
  for (let at = 0; at < raw.length; at += size) {
    for (let k = 0; k < half; k++) {
      const t = raw[at + k]!;
      raw[at + k] = raw[at + size - 1 - k]!;
      raw[at + size - 1 - k] = t;
    }
  }
}

/**
 * What nibabel's get_fdata() gives, as float32: raw * slope + inter in double precision, each step only when it
 * changes something (as nibabel does), then rounded once to float32 (numpy's astype).
 */
function scaler(header: NiftiHeader): ((value: number) => number) | null {
  const { scaling } = header;
  if (!scaling) return null;
  const { slope, inter } = scaling;
  if (inter === 0) return (v) => v * slope;
  if (slope === 1) return (v) => v + inter;
  return (v) => v * slope + inter;
}

/** The whole range read, in file order (i fastest), as float32. */
export function volumeToFloat32(raw: Uint8Array, header: NiftiHeader): Float32Array {
  const values = valuesOf(raw, header);
  const scale = scaler(header);
  const out = new Float32Array(values.length);
  if (!scale) out.set(values);
  else for (let i = 0; i < values.length; i++) out[i] = scale(values[i]!);
  return out;
}

/** Voxel strides of the file's i, j, k axes. */
function strides(dims: NiftiHeader['dims']): [number, number, number] {
  return [1, dims[0], dims[0] * dims[1]];
}

/** The two axes left in a slice along `axis`, in order: they are the slice's rows and columns, as numpy's data[..., index, ...] has them. */
function planeAxes(axis: Axis): [Axis, Axis] {
  return axis === 0 ? [1, 2] : axis === 1 ? [0, 2] : [0, 1];
}

export function sliceCount(header: NiftiHeader, axis: Axis): number {
  return header.dims[axis];
}

/** The voxels between a slice's first and last, in file order: all that must be read (or inflated) for it. */
export function sliceRange(header: NiftiHeader, axis: Axis, index: number): VoxelRange {
  const stride = strides(header.dims);
  const [rows, columns] = planeAxes(axis);
  const start = index * stride[axis];
  const last = start + (header.dims[rows] - 1) * stride[rows] + (header.dims[columns] - 1) * stride[columns];
  return { start, end: last + 1 };
}

export interface Slice {
  /** height x width, row-major: rows along the first axis left, columns along the second. */
  pixels: Float32Array;
  height: number;
  width: number;
}

/**
 * Slice `index` along `axis`, from the raw bytes of `range` (at least sliceRange's). Equal to numpy's
 * get_fdata()[index, :, :] (axis 0), [:, index, :] (axis 1) or [:, :, index] (axis 2) as float32: voxel order,
 * no reorientation to a display convention.
 */
export function sliceToFloat32(raw: Uint8Array, header: NiftiHeader, range: VoxelRange, axis: Axis, index: number): Slice {
  return sliceOfValues(valuesOf(raw, header), header, range, axis, index);
}

/** The same from values already in host order (a volume kept by a decode thread). */
export function sliceOfValues(values: Values, header: NiftiHeader, range: VoxelRange, axis: Axis, index: number): Slice {
  const stride = strides(header.dims);
  const [rowAxis, columnAxis] = planeAxes(axis);
  const height = header.dims[rowAxis];
  const width = header.dims[columnAxis];
  const rowStride = stride[rowAxis];
  const columnStride = stride[columnAxis];
  const base = index * stride[axis] - range.start;
  const scale = scaler(header);
  const pixels = new Float32Array(height * width);
  for (let r = 0; r < height; r++) {
    const row = base + r * rowStride;
    const at = r * width;
    if (scale) for (let c = 0; c < width; c++) pixels[at + c] = scale(values[row + c * columnStride]!);
    else for (let c = 0; c < width; c++) pixels[at + c] = values[row + c * columnStride]!;
  }
  return { pixels, height, width };
}
