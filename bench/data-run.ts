// Runs as a child process of bench/data.ts: epochs through one tree's train generator; prints one JSON line of timings and peak RSS.
import { parseArgs } from 'node:util';
import { ImageFolder } from '../main/data/builtins/image-folder.js';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '64' },
    cache: { type: 'boolean', default: false },
    'cache-dir': { type: 'string' },
    workers: { type: 'string' },
    prefetch: { type: 'string' },
  },
});

const handler = new ImageFolder(
  {
    train: 'train',
    batch_size: Number(values.batch),
    color_mode: 'grayscale',
    cache: values.cache,
    cache_dir: values['cache-dir'],
    ...(values.workers && { workers: Number(values.workers) }),
    ...(values.prefetch && { prefetch: Number(values.prefetch) }),
  },
  { baseDir: values.root! },
);
const setupStart = performance.now();
const { train } = await handler.getData();
const setupSeconds = (performance.now() - setupStart) / 1000;
const epochs = [];
for (let e = 0; e < Number(values.epochs); e++) {
  const start = performance.now();
  let images = 0;
  let checksum = 0;
  for await (const batch of train!.iterateEpoch({ reuseBuffers: true })) {
    // as training reads it
    images += batch.shape[0];
    checksum += batch.x[0]!; // touch the data, as a consumer would
  }
  const seconds = (performance.now() - start) / 1000;
  epochs.push({ seconds, images, images_per_s: images / seconds, skipped: train!.lastEpochSummary!.skipped, checksum });
}
await train!.close();
console.log(
  JSON.stringify({ setup_seconds: setupSeconds, samples: train!.sampleCount, epochs, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }),
);
