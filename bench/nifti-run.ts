// Runs as a child process of bench/nifti.ts: epochs through a NIfTI set's slices with the Nifti handler; prints one JSON line of timings and peak RSS.
import { parseArgs } from 'node:util';
import { Nifti } from '../main/data/builtins/nifti-handler.js';

const { values } = parseArgs({
  options: {
    csv: { type: 'string' },
    axis: { type: 'string', default: 'axial' },
    epochs: { type: 'string', default: '1' },
    batch: { type: 'string', default: '32' },
    size: { type: 'string', default: '224' },
    shuffle: { type: 'boolean', default: false },
  },
});

const size = Number(values.size);
const handler = new Nifti(
  {
    path: values.csv,
    test_fraction: 0,
    axis: values.axis,
    image_size: [size, size],
    window: [40, 400],
    batch_size: Number(values.batch),
    shuffle: values.shuffle,
  },
  { baseDir: process.cwd() },
);
const { train } = await handler.getData();
const epochs = [];
for (let e = 0; e < Number(values.epochs); e++) {
  const start = performance.now();
  let slices = 0;
  let checksum = 0;
  for await (const batch of train!.iterateEpoch({ reuseBuffers: true })) {
    slices += batch.shape[0];
    checksum += batch.x[0]!; // touch the data, as a consumer would
  }
  const seconds = (performance.now() - start) / 1000;
  epochs.push({ seconds, slices, slices_per_s: slices / seconds, skipped: train!.lastEpochSummary!.skipped, checksum });
}
await train!.close();
console.log(JSON.stringify({ samples: train!.sampleCount, epochs, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
