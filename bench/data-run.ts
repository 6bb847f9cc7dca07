// Runs as a child process of bench/data.ts: epochs through one tree's train generator; prints one JSON line of timings and peak RSS.
import { parseArgs } from 'node:util';
import { ImageFolder } from '../main/data/builtins/image-folder.js';
import { printEpochTimings } from './lib/handler-epochs.js';

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
await printEpochTimings(handler, Number(values.epochs));
