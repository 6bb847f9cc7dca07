// Runs as a child process of bench/medical.ts: epochs through a DICOM tree with the Dicom handler; prints one JSON line of timings and peak RSS.
import { parseArgs } from 'node:util';
import { Dicom } from '../main/data/builtins/dicom-handler.js';

const { values } = parseArgs({
  options: {
    root: { type: 'string' },
    labels: { type: 'string' },
    'index-dir': { type: 'string' },
    'cache-dir': { type: 'string' },
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '32' },
    size: { type: 'string', default: '224' },
  },
});

const size = Number(values.size);
// One export split by nothing (test_fraction 0): every frame of every file is a training sample, shuffled, windowed
// to [40, 400] HU, cached as float records in the first epoch and streamed from that cache after.
const handler = new Dicom(
  {
    path: values.root,
    labels: values.labels,
    label_key: 'PatientID',
    test_fraction: 0,
    sample: 'frame',
    image_size: [size, size],
    window: [40, 400],
    batch_size: Number(values.batch),
    shuffle: true,
    cache: true,
    cache_dir: values['cache-dir'],
    index_dir: values['index-dir'],
  },
  { baseDir: process.cwd() },
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
