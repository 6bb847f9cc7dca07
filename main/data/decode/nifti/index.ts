// Runs in a decode worker thread (or inline): one NIfTI-1/-2 volume (.nii, .nii.gz) to float32, whole or one slice, for the Nifti handler.
import { DEFAULT_NIFTI_LIMITS, type NiftiHeader, type NiftiLimits } from './header.js';
import { readNiftiVoxels } from './read.js';
import { sliceRange, sliceToFloat32, volumeToFloat32, type Axis, type Slice } from './voxels.js';

export { NiftiDecodeError } from './errors.js';
export { DEFAULT_NIFTI_LIMITS, type NiftiHeader, type NiftiLimits } from './header.js';
export { readNiftiHeader } from './read.js';
export { sliceCount, type Axis, type Slice } from './voxels.js';

export interface NiftiVolume {
  header: NiftiHeader;
  /** nx * ny * nz values in file order (i fastest), scaled: what nibabel's get_fdata() holds, as float32. */
  data: Float32Array;
  dims: [number, number, number];
  /** Voxel size along i, j, k (pixdim[1..3]). */
  spacing: [number, number, number];
}

export async function decodeNiftiVolume(file: string, limits: NiftiLimits = DEFAULT_NIFTI_LIMITS): Promise<NiftiVolume> {
  const { header, raw } = await readNiftiVoxels(file, limits);
  return { header, data: volumeToFloat32(raw, header), dims: header.dims, spacing: header.spacing };
}

/** One 2-D slice, reading (or inflating) only as far as its last voxel. */
export async function decodeNiftiSlice(
  file: string,
  axis: Axis,
  index: number,
  limits: NiftiLimits = DEFAULT_NIFTI_LIMITS,
): Promise<Slice & { header: NiftiHeader }> {
  const { header, raw, range } = await readNiftiVoxels(file, limits, (h) => {
    if (!Number.isInteger(index) || index < 0 || index >= h.dims[axis])
      throw new RangeError(`${file}: slice ${index} along axis ${axis} is outside 0..${h.dims[axis] - 1}`);
    return sliceRange(h, axis, index);
  });
  return { header, ...sliceToFloat32(raw, header, range, axis, index) };
}
