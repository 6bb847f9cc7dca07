// Runs in main (plain Node): a built-in handler's batch that cannot fit this computer's memory, found as the config is typed.
import os from 'node:os';
import { BUILTIN_INFO_SCHEMAS } from '../../common/data-config.js';
import type { LoadedConfig } from '../config/party-config.js';
import type { ConfigIssue } from '../config/errors.js';

/**
 * Training holds several batches at once (those decoded ahead, the one in hand, its gradients) beside the model's
 * activations, which for a CNN are many times a batch: one batch above a quarter of the memory cannot train here.
 */
const BATCH_SHARE_OF_MEMORY = 1 / 4;

/** One batch of float32 samples at the configured image_size against this computer's memory, on image_size's line. */
export function memoryIssues({ file, config, lineOf }: LoadedConfig, totalBytes = os.totalmem()): ConfigIssue[] {
  const { name, info } = config.data;
  if (config.data.path !== undefined || !Object.hasOwn(BUILTIN_INFO_SCHEMAS, name)) return [];
  // With the handler's own defaults (an ImageFolder is rgb unless told, a Dicom grayscale); a bad info is reported elsewhere.
  const parsed = BUILTIN_INFO_SCHEMAS[name as keyof typeof BUILTIN_INFO_SCHEMAS].safeParse(info);
  if (!parsed.success || !('image_size' in parsed.data) || parsed.data.image_size === undefined) return [];
  const [height, width] = parsed.data.image_size;
  const channels = 'color_mode' in parsed.data && parsed.data.color_mode === 'rgb' ? 3 : 1;
  const batch = parsed.data.batch_size;
  const bytes = batch * height * width * channels * 4;
  if (bytes <= totalBytes * BATCH_SHARE_OF_MEMORY) return [];
  const at = ['data', 'info', 'image_size'];
  return [
    {
      file,
      key: at.join('.'),
      line: lineOf(at),
      problem:
        `a batch of ${batch} images of ${height}x${width}x${channels} as float32 is ${gib(bytes)}, and this computer has ${gib(totalBytes)}: ` +
        'training holds several batches and the model’s activations at once. Lower image_size or batch_size',
    },
  ];
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}
