// Runs on both sides of the training thread: the messages between the host and the training thread; the thread checks every one it receives.
import { z } from 'zod';
import { ModelSectionSchema } from '../../../common/model-config.js';
import { BACKEND_CHOICES } from '../../../common/training-config.js';
import type { BackendName } from '../../../common/training-config.js';
import type { SampleShape } from '../../data/types.js';
import type { CheckedWeights, NamedArray } from '../weights.js';
import type { EvaluateResult } from './evaluator.js';
import type { TrainProgress, TrainResult } from './trainer.js';

/** Every request carries an id of the caller's choosing; the answer, and a training's progress, carry it back. */
const id = z.number().int().nonnegative();

const NamedArraySchema = z.strictObject({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.literal('float32'),
  data: z.custom<Float32Array>((value) => value instanceof Float32Array, 'expected a Float32Array'),
});

/**
 * The host's TrainingRunner.setWeights takes only CheckedWeights (their values were checked where they came in),
 * and a brand does not cross postMessage: the thread checks their structure against the model again, not their values.
 */
const CheckedWeightsSchema = z
  .array(NamedArraySchema)
  .readonly()
  .transform((arrays) => arrays as CheckedWeights);

export const RequestSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('open'),
    id,
    /** The party config: its `data:` section opens the data handler, its `model:` and `training:` sections apply unless overridden here. */
    configFile: z.string().min(1),
    /** A model instead of the config's (one the federation offers, say); relative paths resolve against the config's folder. */
    model: ModelSectionSchema.optional(),
    /** The backend to try first, instead of the config's `training.backend`; TRIBUTARY_BACKEND still wins, as in selectBackend. */
    backend: z.enum(BACKEND_CHOICES).optional(),
  }),
  z.strictObject({
    type: z.literal('train'),
    id,
    epochs: z.number().int().min(1),
    /** Batches to train in all, if fewer than the epochs hold (`training.max_steps`, `--steps`). */
    maxSteps: z.number().int().min(1).optional(),
    progressEveryMs: z.number().min(0).optional(),
  }),
  /** A round's settings, for the trainings that follow; what is left out stays as it is. */
  z.strictObject({
    type: z.literal('configure'),
    id,
    learningRate: z.number().min(0).optional(),
    batchSize: z.number().int().min(1).optional(),
  }),
  z.strictObject({ type: z.literal('evaluate'), id }),
  z.strictObject({ type: z.literal('stop'), id }),
  z.strictObject({ type: z.literal('getWeights'), id }),
  z.strictObject({ type: z.literal('setWeights'), id, arrays: CheckedWeightsSchema }),
  z.strictObject({ type: z.literal('close'), id }),
]);

/** What the host sends (the model section before its defaults are filled in). */
export type Request = z.input<typeof RequestSchema>;
/** What the training thread acts on, once checked. */
export type CheckedRequest = z.output<typeof RequestSchema>;
export type RequestType = Request['type'];
export type Running = 'train' | 'evaluate';

/** What a federation round may change between trainings. */
export interface TrainingSettings {
  /** The compiled optimizer's. */
  learningRate: number;
  /** The train split's; null without one. */
  batchSize: number | null;
}

export interface OpenedInfo {
  backend: { name: BackendName; description: string; warning?: string };
  classNames: string[];
  /** Samples per split; null for a split the handler does not have. */
  samples: { train: number | null; test: number | null };
  sampleShape: SampleShape;
  model: { name: string; parameters: number; weights: number };
  settings: TrainingSettings;
}

export type Reply =
  | { type: 'opened'; id: number; info: OpenedInfo }
  | { type: 'progress'; id: number; event: TrainProgress }
  | { type: 'trained'; id: number; result: TrainResult }
  | { type: 'configured'; id: number; settings: TrainingSettings }
  | { type: 'evaluated'; id: number; result: EvaluateResult }
  | { type: 'weights'; id: number; arrays: NamedArray[] }
  | { type: 'weightsSet'; id: number }
  /** The answer to stop: what was running and is now stopping (its own call then answers as usual), if anything. */
  | { type: 'stopping'; id: number; stopping: Running | null }
  /** `id` is null when the request was too malformed to have one. */
  | { type: 'error'; id: number | null; message: string }
  | { type: 'closed'; id: number };

/** A request checked, or the words for what is wrong with it and the id to answer to (when it had a usable one). */
export function checkRequest(message: unknown): { ok: true; request: CheckedRequest } | { ok: false; id: number | null; message: string } {
  const parsed = RequestSchema.safeParse(message);
  if (parsed.success) return { ok: true, request: parsed.data };
  const fields = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {};
  const requestId = id.safeParse(fields.id);
  const type = typeof fields.type === 'string' ? ` ${JSON.stringify(fields.type)}` : '';
  const problems = parsed.error.issues.map((issue) => `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`);
  return {
    ok: false,
    id: requestId.success ? requestId.data : null,
    message: `bad request${type} to the training thread: ${problems.join('; ')}`,
  };
}
