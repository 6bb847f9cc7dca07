// Runs anywhere (the contract): the schema of a party config's `model:` section and the names it accepts.
import { z } from 'zod';

/** Architectures built in code (cnn3d for volumes); any other model is a Keras/tfjs Layers model.json. */
export const BUILTIN_MODELS = ['mnist-cnn', 'mlp', 'resnet', 'mobilenetv2', 'cnn3d'] as const;
export type BuiltinModel = (typeof BUILTIN_MODELS)[number];

/** tfjs-layers' loss names (its `lossesMap`); Keras's snake_case spellings are not accepted by tfjs. */
export const LOSSES = [
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'binaryCrossentropy',
  'meanSquaredError',
  'meanAbsoluteError',
  'meanAbsolutePercentageError',
  'meanSquaredLogarithmicError',
  'squaredHinge',
  'hinge',
  'categoricalHinge',
  'logcosh',
  'kullbackLeiblerDivergence',
  'poisson',
  'cosineProximity',
] as const;

/** tfjs-layers' metric names: `accuracy` picks binary, categorical or sparse accuracy from the loss, as Keras does. */
export const METRICS = [
  'accuracy',
  'binaryAccuracy',
  'categoricalAccuracy',
  'precision',
  'categoricalCrossentropy',
  'sparseCategoricalCrossentropy',
  'mse',
  'mae',
  'mape',
  'cosine',
] as const;

/** The optimizers a config may name; a federation round may change their learning rate, nothing else. */
export const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;

/** Keys that shape one built-in architecture, and that architecture. */
const BUILTIN_KEYS = { depth: 'resnet', width: 'resnet', alpha: 'mobilenetv2' } as const;

/** The keys that shape a built-in architecture: the aggregator's `model:` takes them too, so its global model is the parties'. */
export const ARCHITECTURE_KEYS = {
  depth: z.number().int().min(1).max(64).optional().describe('resnet: residual blocks per stage (default 1)'),
  width: z.number().int().min(1).max(1024).optional().describe("resnet: the first stage's filters (default 32)"),
  alpha: z.number().positive().max(4).optional().describe("mobilenetv2: the width multiplier, as Keras's alpha (default 1.0)"),
};

type ArchitectureSection = { builtin?: BuiltinModel } & Partial<Record<keyof typeof BUILTIN_KEYS, number>>;

/** Each architecture key set only beside the built-in it shapes. */
export function checkArchitectureKeys(section: ArchitectureSection, context: z.RefinementCtx): void {
  for (const [key, builtin] of Object.entries(BUILTIN_KEYS)) {
    if (section[key as keyof typeof BUILTIN_KEYS] !== undefined && section.builtin !== builtin) {
      context.addIssue({ code: 'custom', path: [key], message: `only \`builtin: ${builtin}\` takes \`${key}\`` });
    }
  }
}

/** The `model:` section: an architecture (built in, or a model.json) and how it is compiled. */
export const ModelSectionSchema = z
  .strictObject({
    builtin: z.enum(BUILTIN_MODELS).optional().describe('an architecture built in code'),
    path: z.string().min(1).optional().describe('a Keras/tfjs Layers model.json, relative to the config file'),
    optimizer: z.enum(OPTIMIZERS).default('adam'),
    learning_rate: z.number().positive().default(0.001),
    loss: z.enum(LOSSES).default('categoricalCrossentropy'),
    metrics: z.array(z.enum(METRICS)).default(['accuracy']),
    seed: z.number().int().default(0).describe('seeds weight initialisation and dropout, so a run can be repeated exactly'),
    ...ARCHITECTURE_KEYS,
    freeze: z
      .array(z.string().min(1))
      .optional()
      .describe('layers not to train (fine-tuning): names or patterns where * is any run of characters and ? any one'),
  })
  .superRefine((section, context) => {
    checkArchitectureKeys(section, context);
    if (section.builtin !== undefined && section.path !== undefined) {
      context.addIssue({ code: 'custom', path: ['path'], message: 'set either `builtin` or `path`, not both' });
    } else if (section.builtin === undefined && section.path === undefined) {
      context.addIssue({
        code: 'custom',
        path: [],
        message: `set \`builtin\` (${BUILTIN_MODELS.join(' or ')}) or \`path\` (a model.json)`,
      });
    }
  });
export type ModelSection = z.infer<typeof ModelSectionSchema>;
