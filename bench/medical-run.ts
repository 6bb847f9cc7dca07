// Runs as a child process of bench/medical.ts: epochs through a DICOM tree with the Dicom handler; prints one JSON line of timings and peak RSS.
import { parseArgs } from 'node:util';
import { Dicom } from '../main/data/builtins/dicom-handler.js';
import { printEpochTimings } from './lib/handler-epochs.js';

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
await printEpochTimings(handler, Number(values.epochs));
