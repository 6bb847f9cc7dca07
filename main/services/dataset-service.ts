// Runs in main (plain Node): the dataset methods: scan a config's splits, preview samples as PNG bytes.
import path from 'node:path';
import type { ArgsOf, ResultIn } from '../../common/contract/contract.js';
import { previewSamples } from '../data/preview.js';
import { scanSplit } from '../data/scan.js';
import type { ScanProgress } from '../data/scan.js';
import { DataSessions } from './data-session.js';
import type { EventBus } from './event-bus.js';
import { ServiceError } from './service-errors.js';

/** Progress events at most this often: enough for a bar, few enough for IPC on a 70,000-file scan. */
const PROGRESS_EVERY_MS = 100;

export class DatasetService {
  readonly #sessions = new DataSessions();

  constructor(readonly events: EventBus) {}

  scan = ({ file }: ArgsOf<'dataset.scan'>): Promise<ResultIn<'dataset.scan'>> => {
    const absolute = path.resolve(file);
    return this.#sessions.use(absolute, true, async ({ splits }) => {
      const scans = [];
      for (const split of ['train', 'test'] as const) {
        const generator = splits[split];
        if (generator) scans.push(await scanSplit(split, generator, { onProgress: this.#progressReporter(absolute) }));
      }
      return { file: absolute, splits: scans };
    });
  };

  preview = ({ file, split, n, seed, className }: ArgsOf<'dataset.preview'>): Promise<ResultIn<'dataset.preview'>> =>
    this.#sessions.use(path.resolve(file), false, async ({ splits }) => {
      const generator = splits[split];
      if (!generator) throw new ServiceError('failed', `the config has no ${split} split`);
      if (className !== undefined && !generator.classNames.includes(className)) {
        throw new ServiceError('failed', `no class "${className}" in the ${split} split (classes are: ${generator.classNames.join(', ')})`);
      }
      const { samples, skipped } = await previewSamples(generator, { n, seed, ...(className !== undefined && { classes: [className] }) });
      return {
        classNames: [...generator.classNames],
        // A copy sized to the PNG: a Buffer may be a view of a larger pool, and cloning a view clones all of it.
        samples: samples.map((sample) => ({ ...sample, png: new Uint8Array(sample.png) })),
        skipped: skipped.map(({ source, reason }) => ({ source, reason })),
      };
    });

  close = (): Promise<void> => this.#sessions.close();

  #progressReporter(file: string): (progress: ScanProgress) => void {
    let last = 0;
    return ({ split, done, total }) => {
      const now = Date.now();
      if (done < total && now - last < PROGRESS_EVERY_MS) return;
      last = now;
      this.events.emit('dataset.scanProgress', { file, split, done, total });
    };
  }
}
