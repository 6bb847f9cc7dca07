// Test helper (Node): a site's handler module on disk whose batches go wrong at sample 3 in a chosen way, its party.yaml, what Tributary says of each.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Five samples of 1x2x1, sample i = [i, 10 i] of class i % 2, in batches of 2 in order: sample 3 is row 1 of batch 2
 * of 3. The fault is read from fault.txt at every load, so one opened handler can be made to fail in every way.
 */
const HANDLER = `// A site's handler (test): batches that go wrong at sample 3 in the way fault.txt names.
import { readFileSync } from 'node:fs';
import { DataGenerator, DataHandler, makeBatch } from 'tributary';

class FaultyGenerator extends DataGenerator {
  sampleCount = 5;
  classNames = ['even', 'odd'];
  sampleShape = { height: 1, width: 2, channels: 1 };

  constructor(faultFile) {
    super({ batchSize: 2, shuffle: false });
    this.faultFile = faultFile;
  }

  describeSample(index) {
    return 'record ' + index + ' of faulty.bin';
  }

  async loadSamples(indices) {
    const x = new Float32Array(indices.length * 2);
    indices.forEach((i, row) => { x[row * 2] = i; x[row * 2 + 1] = 10 * i; });
    const labels = Int32Array.from(indices, (i) => i % 2);
    const batch = () => makeBatch({ x, shape: this.sampleShape, indices, labels, numClasses: 2 });
    const at = indices.indexOf(3);
    const fault = readFileSync(this.faultFile, 'utf8').trim();
    if (at < 0) return batch();
    const n = indices.length;
    switch (fault) {
      case 'none': return batch();
      case 'throws': throw new Error('the scanner went offline');
      case 'string': return 'a batch';
      case 'nothing': return undefined;
      case 'missing': return { x, shape: [n, 1, 2, 1] };
      case 'float64': return { ...batch(), x: Float64Array.from(x) };
      case 'labels-list': return { ...batch(), labels: [...labels] };
      case 'shape-3': return { ...batch(), shape: [n, 1, 2] };
      case 'shape-declared': return { ...batch(), shape: [n, 2, 1, 1] };
      case 'short-x': return { ...batch(), x: x.subarray(1) };
      case 'label': labels[at] = 7; return batch();
      case 'negative-label': labels[at] = -1; return batch();
      case 'one-hot': { const b = batch(); b.oneHot[at * 2] = 1; b.oneHot[at * 2 + 1] = 0; return b; }
      case 'index-range': { const b = batch(); b.indices = Uint32Array.from(indices); b.indices[at] = 9; return b; }
      case 'index-twice': { const b = batch(); b.indices = Uint32Array.from(indices); b.indices[at === 0 ? 1 : 0] = 3; return b; }
      case 'dropped': {
        const kept = indices.filter((i) => i !== 3);
        const values = Float32Array.from(kept.reduce((v, i) => v.concat([i, 10 * i]), []));
        return makeBatch({ x: values, shape: this.sampleShape, indices: kept, labels: Int32Array.from(kept, (i) => i % 2), numClasses: 2 });
      }
      case 'skipped-entry': return { ...batch(), skipped: ['unreadable'] };
      case 'nan': x[at * 2 + 1] = NaN; return batch();
      case 'infinity': x[at * 2] = -Infinity; return batch();
      default: throw new Error('unknown fault ' + fault);
    }
  }
}

export class Faulty extends DataHandler {
  getData() {
    return { train: new FaultyGenerator(this.info.fault_file), test: new FaultyGenerator(this.info.fault_file) };
  }
}
`;

export interface FaultyParty {
  configFile: string;
  module: string;
  /** How messages name the handler: `Faulty (<module>)`. */
  handler: string;
  setFault(fault: Fault): Promise<void>;
}

/** The party's config, beside the handler module and its fault file; `onNonFinite` set, or left to its default. */
export async function faultyParty(dir: string, options: { onNonFinite?: 'fail' | 'skip'; loss?: string } = {}): Promise<FaultyParty> {
  await mkdir(dir, { recursive: true });
  const module = path.join(dir, 'handlers', 'faulty.mjs');
  await mkdir(path.dirname(module), { recursive: true });
  await writeFile(module, HANDLER);
  const faultFile = path.join(dir, 'fault.txt');
  await writeFile(faultFile, 'none');
  const configFile = path.join(dir, 'party.yaml');
  await writeFile(
    configFile,
    [
      'data:',
      '  name: Faulty',
      '  path: handlers/faulty.mjs',
      ...(options.onNonFinite ? [`  on_non_finite: ${options.onNonFinite}`] : []),
      '  info:',
      `    fault_file: ${faultFile}`,
      `model: { builtin: mlp, learning_rate: 0.01${options.loss ? `, loss: ${options.loss}` : ''} }`,
      '',
    ].join('\n'),
  );
  return { configFile, module, handler: `Faulty (${module})`, setFault: (fault) => writeFile(faultFile, fault) };
}

const SAMPLE_3 = 'sample: record 3 of faulty.bin';
const SKIP_HINT = '(set data.on_non_finite: skip to leave such samples out and count them)';

/** Each fault, and what Tributary says of it when sample 3 sits in row `row` of a batch of `n` rows. */
export const FAULTS = {
  throws: () => 'the scanner went offline',
  string: () =>
    'loadSamples returned a string ("a batch"), not a batch: return makeBatch({ x, shape, indices, labels, numClasses, skipped })',
  nothing: () => 'loadSamples returned nothing, not a batch: return makeBatch({ x, shape, indices, labels, numClasses, skipped })',
  missing: () =>
    'the batch has no labels, oneHot, indices, skipped: a batch has x, shape, labels, oneHot, indices and skipped (makeBatch builds one)',
  float64: () => 'x is an object (Float64Array); it must be a Float32Array',
  'labels-list': () => 'labels is an object (Array); it must be an Int32Array',
  'shape-3': (n: number) => `shape is [${n}, 1, 2]; it must be 4 whole numbers [rows, height, width, channels]`,
  'shape-declared': (n: number) => `shape is [${n}, 2, 1, 1], but the generator's sampleShape is 1x2x1 (height x width x channels)`,
  'short-x': (n: number) => `x holds ${2 * n - 1} values, but shape [${n}, 1, 2, 1] needs ${2 * n}`,
  label: (_n: number, row: number) => `row ${row} has label 7, but there are 2 classes (labels 0 to 1); ${SAMPLE_3}`,
  'negative-label': (_n: number, row: number) => `row ${row} has label -1, but there are 2 classes (labels 0 to 1); ${SAMPLE_3}`,
  'one-hot': (_n: number, row: number) => `oneHot row ${row} is not the one-hot of its label 1; ${SAMPLE_3}`,
  'index-range': (_n: number, row: number) => `row ${row} is sample 9, but the generator has 5 (0 to 4)`,
  'index-twice': (_n: number, row: number) =>
    `row ${Math.max(row, row === 0 ? 1 : 0)} is sample 3 again: each sample asked for comes back once, in the batch or in skipped`,
  dropped: () =>
    `sample 3 was asked for but is neither in the batch nor in skipped (list a sample you leave out in skipped, with the reason); ${SAMPLE_3}`,
  'skipped-entry': () =>
    'skipped[0] is a string ("unreadable"); each entry must be { index (a whole number), source (text), reason (text) }',
  nan: (_n: number, row: number) => `row ${row} holds NaN at y 0, x 1, channel 0; ${SAMPLE_3} ${SKIP_HINT}`,
  infinity: (_n: number, row: number) => `row ${row} holds -Infinity at y 0, x 0, channel 0; ${SAMPLE_3} ${SKIP_HINT}`,
} satisfies Record<string, (n: number, row: number) => string>;

export type Fault = keyof typeof FAULTS | 'none';
