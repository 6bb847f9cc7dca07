// Runs anywhere (a worker thread in the party): collect_masked_vectors' arithmetic, from trained weights to the int64 .npy files sent.
import { encodeNpy } from '../wire/npy/npy.js';
import { maskUpdate, quantizeUpdate, type FitOutcome, type MaskSeed } from './masking.js';
import { toInt64 } from './modular.js';
import { Mt19937 } from './mt19937.js';
import type { SetupParams } from './stage-configs.js';

/** Everything the arithmetic needs, plain data only, so it can be posted to a thread. */
export interface MaskJob {
  fit: FitOutcome;
  params: SetupParams;
  masks: MaskSeed[];
  /** Seeds the stochastic rounding's MT19937 (numpy's global generator in Flower). */
  roundingSeed: number;
}

/** Flower's weighting, quantisation and masking of one update, each vector then written as int64 .npy. */
export function maskedUpdateFiles(job: MaskJob): Uint8Array[] {
  const rounding = new Mt19937(job.roundingSeed);
  const quantized = quantizeUpdate(job.fit, job.params, () => rounding.nextDouble());
  const masked = maskUpdate(quantized, job.masks, job.params.modRange);
  return masked.map((vector, i) => encodeNpy(toInt64(vector), `masked array ${i}`));
}
