// Runs anywhere (the contract): schemas of a party config's `data` section and of each built-in handler's `info`.
import { z } from 'zod';

/** What Tributary does with a sample whose values are not all finite numbers (NaN, Infinity). */
export const ON_NON_FINITE = ['fail', 'skip'] as const;
export type OnNonFinite = (typeof ON_NON_FINITE)[number];

/**
 * The `data` section, as in IBM FL: a handler class by name, the module that defines it, and its `info`. Keys beside
 * `info` are Tributary's own and hold for every handler; `info` belongs to the handler (a site's is passed through unread).
 */
export const DataSectionSchema = z.strictObject({
  name: z.string().min(1).describe('the handler class: a built-in name, or the export of the module at `path`'),
  path: z.string().min(1).optional().describe('the module defining the handler, relative to the config file; absent for built-ins'),
  info: z.record(z.string(), z.unknown()).default({}).describe("handed to the handler's constructor"),
  on_non_finite: z
    .enum(ON_NON_FINITE)
    .default('fail')
    .describe('a sample holding NaN or Infinity: stop (fail), or leave it out and count it (skip)'),
});
export type DataSection = z.infer<typeof DataSectionSchema>;

const positiveInt = z.number().int().min(1);

/** Default pixel limit, the same as sharp's: larger images are refused as likely decompression bombs. */
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

/** Options every built-in shares: how batches are cut, ordered and read. */
const GeneratorOptionsSchema = {
  batch_size: positiveInt.default(32),
  shuffle: z.boolean().default(true),
  seed: z.number().int().default(0),
  class_names: z
    .array(z.string().min(1))
    .min(1)
    .refine((names) => new Set(names).size === names.length, 'class names must be unique')
    .optional()
    .describe('label order; by default the sorted labels found. Set it in a federation so every site agrees'),
  workers: positiveInt.max(64).optional().describe('decode threads; default: the number of cores'),
  prefetch: positiveInt.max(64).optional().describe('batches decoded ahead of training; default: about 32 MB of batches, 2 to 16'),
};

const NormalizeSchema = z.union([
  z.literal('unit').describe('pixels / 255, in [0, 1]'),
  z
    .strictObject({
      mean: z.array(z.number()).min(1),
      std: z.array(z.number().positive()).min(1),
    })
    .describe('(pixels / 255 - mean) / std, per channel, as torchvision does'),
]);

/**
 * Named CT windows as [center, width] in Hounsfield units. Values from Radiopaedia, "Windowing (CT)"
 * (https://radiopaedia.org/articles/windowing-ct): lungs W:1500 L:-600, mediastinum W:350 L:50, bone W:1800 L:400,
 * brain W:80 L:40, soft tissues W:350-400 L:20-60 (here 400 / 50, the value of the upper end most viewers ship).
 */
export const WINDOW_PRESETS = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 50, width: 350 },
  bone: { center: 400, width: 1800 },
  brain: { center: 40, width: 80 },
  soft_tissue: { center: 50, width: 400 },
} as const;
export type WindowPreset = keyof typeof WINDOW_PRESETS;
const PRESET_NAMES = Object.keys(WINDOW_PRESETS) as [WindowPreset, ...WindowPreset[]];

/** The per-image modes of `window`: not a window but a stretch or a standardisation of each image's own values. */
export const PER_IMAGE_MODES = ['minmax', 'zscore'] as const;

const WindowSchema = z
  .union([
    z.literal('file').describe("the image's own WindowCenter / WindowWidth (DICOM; the first when several)"),
    z.enum(PRESET_NAMES).describe('a named CT window in Hounsfield units'),
    z.enum(PER_IMAGE_MODES).describe('per image: (v - min) / (max - min), or (v - mean) / std'),
    z
      .tuple([z.number(), z.number().min(1, 'a window width is at least 1 (DICOM linear window)')])
      .describe('[center, width] in the stored units (Hounsfield for CT)'),
  ])
  .optional()
  .describe(
    'how stored values become model inputs before `normalize`: file, a preset (lung, mediastinum, bone, brain, soft_tissue), ' +
      '[center, width], minmax or zscore. Default: 8- and 16-bit images v / 255 or v / 65535; DICOM its own window, else minmax',
  );

/** Options of the handlers that decode image files (PNG, JPEG, WebP, TIFF, DICOM). */
const ImageOptionsSchema = {
  ...GeneratorOptionsSchema,
  image_size: z.tuple([positiveInt, positiveInt]).optional().describe('[height, width]; default: the first image read'),
  color_mode: z.enum(['grayscale', 'rgb']).default('rgb'),
  normalize: NormalizeSchema.default('unit'),
  interpolation: z.enum(['nearest', 'bilinear', 'bicubic', 'lanczos3']).default('bilinear'),
  window: WindowSchema,
  dicom_frames: z
    .enum(['first', 'all'])
    .default('first')
    .describe('a multi-frame DICOM file gives one sample, its first frame, or one per frame (all: each header is read at start-up)'),
  on_bad_file: z.enum(['skip', 'fail']).default('skip'),
  max_pixels: positiveInt.default(DEFAULT_MAX_PIXELS),
  cache: z.boolean().default(false).describe('write decoded pixels to a cache file in the first epoch, stream it after'),
  cache_dir: z.string().min(1).optional(),
};

export const ImageFolderInfoSchema = z
  .strictObject({
    train: z.string().min(1).optional().describe('folder with one sub-folder of images per class'),
    test: z.string().min(1).optional(),
    ...ImageOptionsSchema,
  })
  .refine((info) => info.train || info.test, { message: 'name at least one of `train` and `test`' });

export const CsvManifestInfoSchema = z
  .strictObject({
    train: z.string().min(1).optional().describe('CSV of image path (relative to the CSV) and label'),
    test: z.string().min(1).optional(),
    path_column: z.string().min(1).default('path'),
    label_column: z.string().min(1).default('label'),
    ...ImageOptionsSchema,
  })
  .refine((info) => info.train || info.test, { message: 'name at least one of `train` and `test`' });

export const IdxInfoSchema = z
  .strictObject({
    train_images: z.string().min(1).optional(),
    train_labels: z.string().min(1).optional(),
    test_images: z.string().min(1).optional(),
    test_labels: z.string().min(1).optional(),
    normalize: NormalizeSchema.default('unit'),
    cache_dir: z.string().min(1).optional().describe('where .gz files are inflated once'),
    ...GeneratorOptionsSchema,
  })
  .refine((i) => Boolean(i.train_images) === Boolean(i.train_labels), { message: '`train_images` and `train_labels` go together' })
  .refine((i) => Boolean(i.test_images) === Boolean(i.test_labels), { message: '`test_images` and `test_labels` go together' })
  .refine((i) => i.train_images || i.test_images, { message: 'name the train or the test files' });

/** The DICOM attributes a labels CSV may be keyed by. */
export const DICOM_LABEL_KEYS = ['PatientID', 'StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'] as const;

const DicomFoldersSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);
const DicomValuesSchema = z.array(z.string().min(1)).min(1).optional();

// The Dicom handler picks frames with `sample` and `slice`: ImageFolder's dicom_frames would be a second, conflicting key.
const { dicom_frames: _chosenBySample, ...DicomImageOptionsSchema } = ImageOptionsSchema;

export const DicomInfoSchema = z
  .strictObject({
    path: DicomFoldersSchema.optional().describe('one export: a folder of DICOM files in any layout (or a list); split by patient'),
    train: DicomFoldersSchema.optional().describe('instead of `path`, two exports: the training folder(s)'),
    test: DicomFoldersSchema.optional().describe('and the test folder(s); a patient found in both train and test is refused'),
    test_fraction: z.number().min(0).max(0.9).default(0.2).describe('with `path`: the share of patients (never images) held out for test'),
    labels: z.string().min(1).describe('CSV of one key and one label per row, relative to the config file'),
    label_key: z.enum(DICOM_LABEL_KEYS).default('StudyInstanceUID').describe('the DICOM attribute the CSV rows are keyed by'),
    key_column: z.string().min(1).optional().describe('the CSV column holding the keys; default: the name of label_key'),
    label_column: z.string().min(1).default('label').describe('the CSV column holding the labels'),
    modality: DicomValuesSchema.describe('only images whose Modality is one of these (e.g. [CT, MR]); default: all'),
    body_part_examined: DicomValuesSchema.describe('only images whose BodyPartExamined is one of these (case-insensitive)'),
    series_description: DicomValuesSchema.describe('only images whose SeriesDescription contains one of these (case-insensitive)'),
    sample: z.enum(['image', 'frame', 'series']).default('image').describe('one sample per image file, per frame, or per series'),
    slice: z
      .union([z.enum(['middle', 'first', 'last', 'volume']), z.number().int().min(0)])
      .default('middle')
      .describe(
        "the series' slice (by position, else InstanceNumber) or the multi-frame image's frame a sample is (2-D samples); " +
          'or volume (with sample: series): each series is one 3-D sample, its slices in that order (a multi-frame file: its frames) its depth',
      ),
    volume_size: z
      .tuple([positiveInt, positiveInt, positiveInt])
      .optional()
      .describe(
        'with slice: volume, the [depth, height, width] every series is resampled to; default: the first series’ slice count and slice size',
      ),
    max_voxels: positiveInt
      .default(2 ** 27)
      .describe('with slice: volume, a series of more slices x rows x columns is skipped, with its reason, before its slices are read'),
    max_header_bytes: positiveInt
      .default(4 * 2 ** 20)
      .describe('a file whose header (all before PixelData) is longer is not indexed, and listed as unreadable'),
    index_dir: z
      .string()
      .min(1)
      .optional()
      .describe("where the header index and the site's hashing salt are kept; default: the cache folder"),
    ...DicomImageOptionsSchema,
    // Most DICOM is gray: one channel unless an ImageNet-style model wants it repeated to three.
    color_mode: z.enum(['grayscale', 'rgb']).default('grayscale').describe('grayscale: one channel; rgb: gray repeated to three'),
  })
  .refine((info) => (info.path === undefined) !== (info.train === undefined && info.test === undefined), {
    message: 'name either `path` (one export, split by patient) or `train` and/or `test` (two exports)',
    path: ['path'],
  })
  .refine((info) => !(info.sample === 'series' && info.label_key === 'SOPInstanceUID'), {
    message: 'a series has many SOPInstanceUIDs: with `sample: series`, key the labels by PatientID, StudyInstanceUID or SeriesInstanceUID',
    path: ['label_key'],
  })
  .refine((info) => info.slice !== 'volume' || info.sample === 'series', {
    message: 'slice: volume makes each series one 3-D sample: set sample: series',
    path: ['slice'],
  })
  .refine((info) => info.volume_size === undefined || info.slice === 'volume', {
    message: 'volume_size is for 3-D samples: set slice: volume (or give image_size for 2-D images)',
    path: ['volume_size'],
  })
  .refine((info) => info.volume_size === undefined || info.image_size === undefined, {
    message: 'give either volume_size ([depth, height, width]) or image_size, not both',
    path: ['image_size'],
  })
  .refine((info) => !(info.cache && info.slice === 'volume'), {
    message: 'the decoded cache keeps 2-D images only: a series read whole (slice: volume) is decoded each epoch; set cache: false',
    path: ['cache'],
  });

/** The axis NIfTI slices are cut along: a voxel axis (0, 1, 2 = i, j, k) or its usual name (sagittal = i, coronal = j, axial = k). */
export const NIFTI_AXIS_NAMES = ['sagittal', 'coronal', 'axial'] as const;

const NiftiSetSchema = z.string().min(1);

export const NiftiInfoSchema = z
  .strictObject({
    path: NiftiSetSchema.optional().describe(
      'one set: a folder of .nii / .nii.gz volumes (labels from `labels`), or a CSV of file, label (and subject) rows; split by subject',
    ),
    train: NiftiSetSchema.optional().describe('instead of `path`, two sets: the training folder or CSV'),
    test: NiftiSetSchema.optional().describe('and the test folder or CSV; a subject found in both train and test is refused'),
    test_fraction: z.number().min(0).max(0.9).default(0.2).describe('with `path`: the share of subjects (never slices) held out for test'),
    labels: z
      .string()
      .min(1)
      .optional()
      .describe('for a folder: CSV of file (relative to that folder) and label rows, relative to the config file'),
    file_column: z.string().min(1).default('file').describe('the CSV column holding each volume’s file'),
    label_column: z.string().min(1).default('label'),
    subject_column: z
      .string()
      .min(1)
      .optional()
      .describe('the CSV column naming each volume’s subject (patient), kept in one split; default: every volume is its own subject'),
    axis: z
      .union([z.enum(NIFTI_AXIS_NAMES), z.literal([0, 1, 2])])
      .default('axial')
      .describe('slices are cut across this voxel axis: 0 (sagittal), 1 (coronal) or 2 (axial), as stored, not reoriented'),
    slices: z
      .union([z.enum(['all', 'middle', 'volume']), z.tuple([z.number().int().min(0), z.number().int().min(0)])])
      .default('all')
      .describe(
        'which slices of each volume are samples: all, the middle one, or [from, to] inclusive (2-D samples); ' +
          'or volume: each volume is one 3-D sample, its slices along `axis` its depth',
      ),
    volume_size: z
      .tuple([positiveInt, positiveInt, positiveInt])
      .optional()
      .describe(
        'with slices: volume, the [depth, height, width] every volume is resampled to; ' +
          'default: the first volume’s slice count along `axis` and its slice size',
      ),
    max_voxels: positiveInt
      .default(2 ** 27)
      .describe('a volume declaring more voxels is refused before it is read (2^27 is 512 x 512 x 512)'),
    kept_volumes_mb: z
      .number()
      .int()
      .min(0)
      .default(256)
      .describe('MB of whole volumes the decode threads keep between batches, so a shuffled epoch reads each once per thread; 0: none'),
    salt_dir: z
      .string()
      .min(1)
      .optional()
      .describe("where the site's hashing salt is kept; default: the cache folder. A Dicom config with its own index_dir: the same folder"),
    ...GeneratorOptionsSchema,
    image_size: z.tuple([positiveInt, positiveInt]).optional().describe('[height, width]; default: the first volume’s slice size'),
    // A volume is gray: one channel unless an ImageNet-style model wants it repeated to three.
    color_mode: z.enum(['grayscale', 'rgb']).default('grayscale'),
    // The image handlers' own keys: a slice is resized, windowed and normalised as an image is.
    normalize: ImageOptionsSchema.normalize,
    interpolation: ImageOptionsSchema.interpolation,
    window: ImageOptionsSchema.window,
    on_bad_file: ImageOptionsSchema.on_bad_file,
  })
  .refine((info) => (info.path === undefined) !== (info.train === undefined && info.test === undefined), {
    message: 'name either `path` (one set, split by subject) or `train` and/or `test` (two sets)',
  })
  .refine((info) => !Array.isArray(info.slices) || info.slices[0] <= info.slices[1], {
    message: 'slices [from, to]: from is after to',
    path: ['slices'],
  })
  .refine((info) => info.volume_size === undefined || info.slices === 'volume', {
    message: 'volume_size is for 3-D samples: set slices: volume (or give image_size for 2-D slices)',
    path: ['volume_size'],
  })
  .refine((info) => info.volume_size === undefined || info.image_size === undefined, {
    message: 'give either volume_size ([depth, height, width]) or image_size, not both',
    path: ['image_size'],
  });

export type Normalize = z.infer<typeof NormalizeSchema>;
export type WindowOption = z.infer<typeof WindowSchema>;
export type DicomInfo = z.infer<typeof DicomInfoSchema>;
export type DicomLabelKey = (typeof DICOM_LABEL_KEYS)[number];
export type ImageFolderInfo = z.infer<typeof ImageFolderInfoSchema>;
export type CsvManifestInfo = z.infer<typeof CsvManifestInfoSchema>;
export type IdxInfo = z.infer<typeof IdxInfoSchema>;
export type NiftiInfo = z.infer<typeof NiftiInfoSchema>;
export type ImageOptions = Omit<ImageFolderInfo, 'train' | 'test'>;

/** The built-in handlers by the name a config gives them, with the schema of their `info`. */
export const BUILTIN_INFO_SCHEMAS = {
  ImageFolder: ImageFolderInfoSchema,
  CsvManifest: CsvManifestInfoSchema,
  Idx: IdxInfoSchema,
  Dicom: DicomInfoSchema,
  Nifti: NiftiInfoSchema,
} as const;
export type BuiltinHandlerName = keyof typeof BUILTIN_INFO_SCHEMAS;
