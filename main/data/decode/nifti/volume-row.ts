// Runs in a decode worker thread (or inline): a whole NIfTI volume resampled in float32 to depth x height x width, slices along an axis.
import type { KeptVolume } from './kept-volumes.js';
import { sliceOfValues, type Axis } from './voxels.js';
import { resampleSlices, type VolumeSize } from '../volume-resample.js';

/** The volume's voxels, scaled (scl_slope / scl_inter) and resampled: depth x height x width, slice z along `axis` at z. */
export function resampleVolume({ header, values }: KeptVolume, axis: Axis, size: VolumeSize): Float32Array {
  const whole = { start: 0, end: header.voxels };
  return resampleSlices(header.dims[axis], (z) => sliceOfValues(values, header, whole, axis, z), size);
}
