// Runs anywhere (the contract): scan a config's dataset and preview samples exactly as its data handler yields them.
import { z } from 'zod';
import { ConfigFileSchema } from './config-api.js';
import { event, method } from './define.js';

const SplitSchema = z.enum(['train', 'test']);
const count = z.number().int().nonnegative();
const tallyOf = <K extends z.ZodType>(key: K) => z.array(z.object({ key, count }));

const FindingSchema = z.object({ path: z.string().describe('relative to the folder as the config names it'), reason: z.string() });

/** The Dicom handler's part of a split's scan: no identifier in the clear (patients are counted, or named by salted hash). */
const DicomSummarySchema = z.object({
  samples: count,
  patients: count,
  studies: count,
  classes: z.array(z.object({ key: z.string(), samples: count, patients: count, studies: count })),
  modalities: tallyOf(z.string()),
  transferSyntaxes: tallyOf(z.string()),
  bitsStored: tallyOf(z.number().int()),
  photometrics: tallyOf(z.string()),
  sizes: tallyOf(z.string()),
  frames: tallyOf(z.number().int()),
  selection: z.object({
    images: count,
    filteredOut: z.object({ modality: count, bodyPart: count, seriesDescription: count }),
    duplicates: count,
    noPatientId: count,
    unlabelled: count,
    labelNotInClasses: count,
    sliceOutOfRange: count,
  }),
  unmatchedLabelRows: z.object({ count, lines: z.array(count) }).describe('labels rows no image matched, by line number only'),
  sharedPatients: count,
  trees: z
    .object({
      folders: z.array(z.string()),
      files: count,
      images: count,
      headersRead: count,
      nonImage: z.array(FindingSchema),
      nonImageCount: count,
      unreadable: z.array(FindingSchema),
      unreadableCount: count,
      notDicom: z.array(FindingSchema),
      notDicomCount: count,
      notes: z.array(z.string()),
    })
    .optional()
    .describe("what indexing the split's folders found (with one export split by patient: on the train split)"),
});

export const SplitScanSchema = z.object({
  split: SplitSchema,
  samples: count.describe('samples listed'),
  readable: count.describe('samples that decode'),
  classes: tallyOf(z.string()).describe('readable samples per class, in label order, empty classes included'),
  sizes: tallyOf(z.string()).describe('original image sizes as "WxH", most common first (image files only)'),
  channels: tallyOf(z.number().int()),
  formats: tallyOf(z.string()),
  sampleShape: z
    .object({ depth: count.optional().describe('set for volumes (3-D samples)'), height: count, width: count, channels: count })
    .describe('what the model sees per sample'),
  unreadable: z.array(z.object({ index: count, source: z.string(), reason: z.string() })).describe('the first unreadable samples'),
  unreadableCount: count,
  listingProblems: z.array(z.object({ path: z.string(), reason: z.string(), kind: z.enum(['unreadable', 'unused']) })),
  listingProblemCount: count,
  ignoredFiles: count.describe('files that are not images by their name'),
  notes: z.array(z.string()).describe('how the split is read, where the operator should know'),
  dicom: DicomSummarySchema.optional().describe('DICOM: headers tallied, patients and studies per class, files not used'),
  volumes: z
    .array(
      z.object({
        file: z.string(),
        subject: z.string().describe('salted hash'),
        dims: z.tuple([count, count, count]),
        datatype: z.string(),
        spacing: z.tuple([z.number(), z.number(), z.number()]),
        gzip: z.boolean(),
        sampledAs: z.enum(['slices', 'volume']).describe('2-D slices along the axis, or the whole volume as one 3-D sample'),
        slices: count.describe('samples listed from it: its slices, or 1 for a whole volume'),
        readable: count,
      }),
    )
    .optional()
    .describe('NIfTI: each volume with its header facts and the slices it gave'),
  subjects: tallyOf(z.string()).optional().describe('NIfTI: distinct subjects per class'),
});
export type SplitScan = z.infer<typeof SplitScanSchema>;

const PreviewSampleSchema = z.object({
  index: count,
  label: count,
  className: z.string(),
  source: z.string().describe('where the sample came from: a file path, or a record in a file'),
  png: z.instanceof(Uint8Array).describe('the sample as the model sees it, encoded as PNG (never a file:// path)'),
  width: count,
  height: count,
  channels: count,
  range: z.tuple([z.number(), z.number()]).describe('smallest and largest model input value'),
  display: z.enum(['denormalized', 'stretched']),
  intensity: z
    .string()
    .optional()
    .describe('how stored values became model inputs: the window, preset, minmax or z-score used for this image'),
  volume: z.string().optional().describe('a 3-D sample: "volume d x h x w, middle slice k shown" (the png is that slice)'),
});

export const datasetMethods = {
  'dataset.scan': method({
    summary: 'decode every sample of the saved config once: counts per class, image sizes, unreadable files',
    args: z.object({ file: ConfigFileSchema }),
    result: z.object({ file: z.string(), splits: z.array(SplitScanSchema) }),
  }),
  'dataset.preview': method({
    summary: 'n samples of a split drawn with a seed, optionally of one class, as PNG bytes with label and source',
    args: z.object({
      file: ConfigFileSchema,
      split: SplitSchema.default('train'),
      n: z.number().int().min(1).max(256).default(24),
      seed: z
        .number()
        .int()
        .min(0)
        .max(2 ** 32 - 1)
        .default(0),
      className: z.string().min(1).optional(),
    }),
    result: z.object({
      classNames: z.array(z.string()).describe("the split's classes in label order, for a class filter"),
      samples: z.array(PreviewSampleSchema),
      skipped: z.array(z.object({ source: z.string(), reason: z.string() })).describe('drawn samples that could not be read'),
    }),
  }),
};

export const datasetEvents = {
  'dataset.scanProgress': event({
    summary: 'how far a scan is, a few times a second',
    payload: z.object({ file: z.string(), split: SplitSchema, done: count, total: count }),
  }),
};
