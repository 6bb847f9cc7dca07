// Runs anywhere (the contract): the schema of a party config's `training:` section: local epochs and where tfjs runs.
import { z } from 'zod';

/** tfjs backends, usually fastest first: the order in which they are tried (a probe then times tensorflow against wasm). */
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
/** What a config or a CLI flag may ask for: a backend to try first, or `auto`: the usual order, then the faster by a timed probe. */
export const BACKEND_CHOICES = ['auto', ...BACKENDS] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** The `training:` section; every key has a default, so the section may be left out. */
export const TrainingSectionSchema = z.strictObject({
  epochs: z.number().int().min(1).default(1).describe('local epochs of `tributary train` (a federation round sets its own)'),
  max_steps: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('`tributary train` stops after this many batches in all, even within an epoch; `--steps` wins over it'),
  backend: z
    .enum(BACKEND_CHOICES)
    .default('auto')
    .describe('the tfjs backend to try first (auto: the faster measured on the model); TRIBUTARY_BACKEND wins over it'),
  threads: z
    .number()
    .int()
    .min(1)
    .max(64)
    .optional()
    .describe(
      "the engine's threads (wasm's; TensorFlow's compute pools); default: every core; TRIBUTARY_WASM_THREADS and TF_NUM_INTRAOP_THREADS win",
    ),
});
export type TrainingSection = z.infer<typeof TrainingSectionSchema>;
