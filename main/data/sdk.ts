// Runs in main and, as the bare specifier `tributary`, in every site handler module: the API a data handler is written against.
export { DataHandler } from './data-handler.js';
export type { DataSplits, HandlerContext } from './data-handler.js';
export { DataGenerator, makeBatch } from './data-generator.js';
export type { GeneratorOptions, IterateOptions } from './data-generator.js';
export type { Batch, EpochSummary, SampleShape, SkippedSample } from './types.js';
export { decodeImage } from './decode/image.js';
export type { TargetImage, TargetSpec } from './decode/image.js';
export { readImageFile } from './decode/read-file.js';
