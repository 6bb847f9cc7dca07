// Runs anywhere (the contract): each global model judged on this site's test split (per-class figures, confusion matrix), and its export.
// These figures stay on site: the server gets only loss, accuracy and the number of examples.
import { z } from 'zod';
import { LOCAL_EVALUATION_MAX_CLASSES } from '../local-evaluation.js';
import { ConfigFileSchema } from './config-api.js';
import { event, method } from './define.js';

const count = z.number().int().nonnegative();
const runId = z.string().regex(/^\d{1,20}$/, "a run id: Flower's uint64 as decimal text");

export const LocalEvaluationSchema = z
  .object({
    runId,
    round: z.number().int().nullable().describe("the server's round number; null when the message carried none"),
    time: z.string().describe('ISO-8601, UTC: when the evaluation finished'),
    loss: z.number().nullable(),
    accuracy: z.number().nullable(),
    samples: count,
    classes: z.array(z.string()).max(LOCAL_EVALUATION_MAX_CLASSES),
    confusion: z
      .array(z.array(count).max(LOCAL_EVALUATION_MAX_CLASSES))
      .max(LOCAL_EVALUATION_MAX_CLASSES)
      .describe('[true class][predicted class]'),
  })
  .refine(({ classes, confusion }) => confusion.length === classes.length && confusion.every((row) => row.length === classes.length), {
    message: 'the confusion matrix must be classes x classes',
  });

const EXPORTS = ['per-class-csv', 'confusion-csv', 'confusion-png'] as const;
export type EvaluationExportFormat = (typeof EXPORTS)[number];

export const evaluationMethods = {
  'party.exportEvaluation': method({
    summary:
      "export the run's local evaluations: per-class figures of every round (CSV), or one round's confusion matrix (CSV, or a PNG heat map); " +
      'written to `saveTo` when given, else returned for the caller to save (a download)',
    args: z.object({
      file: ConfigFileSchema.optional().describe("the config whose history to read; by default the joined (or last joined) party's"),
      runId: runId.optional().describe('the newest run by default'),
      round: z.number().int().optional().describe("the round whose confusion matrix to export; the run's latest by default"),
      format: z.enum(EXPORTS),
      saveTo: z.string().min(1).optional().describe('an absolute path the operator chose; an existing file there is replaced'),
    }),
    result: z.object({
      fileName: z.string().describe('a name to save it under: tributary-<run>-<what>.csv|png'),
      mediaType: z.enum(['text/csv', 'image/png']),
      bytes: count,
      savedTo: z.string().nullable(),
      base64: z.string().nullable().describe('the file itself when it was not saved (no saveTo)'),
    }),
  }),
};

export const evaluationEvents = {
  'party.evaluation': event({
    summary: 'a global model was evaluated on the test split: its per-class confusion matrix, kept on site',
    payload: LocalEvaluationSchema,
  }),
};
