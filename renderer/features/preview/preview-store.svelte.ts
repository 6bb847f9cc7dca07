// Runs in the renderer: the preview grid: which samples to draw (split, class, count, seed) and the images drawn, as blob URLs.
import type { ArgsIn, ResultOf } from '../../../common/contract/contract.js';
import { api } from '../../lib/api.js';

type Split = NonNullable<ArgsIn<'dataset.preview'>['split']>;
type Sample = ResultOf<'dataset.preview'>['samples'][number];

/** A sample as the grid shows it: the PNG bytes became a blob: URL (the page's policy allows no file:// and no remote image). */
export type ShownSample = Omit<Sample, 'png'> & { url: string };

export const COUNTS = [12, 24, 48, 96] as const;

class PreviewStore {
  split = $state<Split>('train');
  /** null: every class. */
  className = $state<string | null>(null);
  count = $state<number>(24);
  seed = $state(0);
  classNames = $state<string[]>([]);
  samples = $state<ShownSample[]>([]);
  skipped = $state<{ source: string; reason: string }[]>([]);
  loading = $state(false);
  error = $state<string | null>(null);
  /** What the shown samples were drawn from: a config file as saved at one version (see configStore.savedVersion). */
  drawnFrom = $state<{ file: string; version: number } | null>(null);

  load = async (file: string, version: number): Promise<void> => {
    if (this.drawnFrom?.file !== file) this.className = null; // another config's classes
    this.loading = true;
    this.drawnFrom = { file, version };
    const drawn = await api.dataset.preview({
      file,
      split: this.split,
      n: this.count,
      seed: this.seed,
      ...(this.className !== null && { className: this.className }),
    });
    this.loading = false;
    if (!drawn.ok) {
      this.error = drawn.error.message;
      return this.#show([]);
    }
    this.error = null;
    this.classNames = drawn.value.classNames;
    this.skipped = drawn.value.skipped;
    this.#show(drawn.value.samples);
  };

  /** A new random seed, shown so a person can draw the same samples again (`tributary preview --seed`). */
  newSeed = (): void => {
    this.seed = crypto.getRandomValues(new Uint32Array(1))[0]!;
  };

  /** Blob URLs hold their bytes until revoked: each draw releases the previous one's. */
  #show(samples: Sample[]): void {
    this.samples.forEach((sample) => URL.revokeObjectURL(sample.url));
    this.samples = samples.map(({ png, ...sample }) => ({
      ...sample,
      url: URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' })),
    }));
  }
}

export const previewStore = new PreviewStore();
