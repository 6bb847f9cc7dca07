// Runs in the CLI process (plain Node): one folder per site of a local federation: its own training data, the common test set, its party.yaml.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuiltinModel } from '../../../common/model-config.js';
import type { PrivacySectionInput } from '../../../common/privacy-config.js';
import type { PartyConfigInput } from '../../config/party-config.js';
import { savePartyConfig } from '../../config/party-config.js';
import { FASHION_CLASSES, type Dataset, type Split } from './fashion-mnist.js';

export interface Site {
  /** `party-1`, `party-2`, ...: also its folder's name. */
  name: string;
  dir: string;
  /** Its party.yaml, written once the aggregator's address is known. */
  configFile: string;
  trainSamples: number;
  /** The `data:` section that reads this site's files. */
  data: PartyConfigInput['data'];
}

/** Each site's audit log, in its folder: what it received and sent. */
export const SITE_AUDIT_LOG = 'federation-audit.jsonl';

/** A built-in architecture, or a Keras/tfjs Layers model.json (an absolute path). */
export type ModelChoice = { builtin: BuiltinModel } | { path: string };

/** What every site's party.yaml says besides its data. */
export interface SiteSettings {
  model: ModelChoice;
  learningRate: number;
  batchSize: number;
  seed: number;
  /** wasm threads of each party's training thread; unset: every core. */
  threads?: number;
  /** host:port (gRPC) or http://host:port (REST). */
  server: string;
  transport: 'grpc' | 'rest';
  /** Seconds between polls when idle. */
  pollInterval: number;
  /** The site's `privacy:` policy, written into its party.yaml; absent: none. */
  privacy?: PrivacySectionInput;
}

/**
 * A folder per party holding only that party's training samples (a CsvManifest CSV naming its PNG files, or IDX files
 * of its images), and the whole test set, written once under `test-set/` for IDX, so that every party's evaluation is
 * the global test accuracy.
 */
export async function writeSites(dataset: Dataset, parts: readonly number[][], root: string): Promise<Site[]> {
  const testData = await writeTestSet(dataset.test, path.join(root, 'test-set'));
  return Promise.all(
    parts.map(async (part, index) => {
      const name = `party-${index + 1}`;
      const dir = path.join(root, name);
      await mkdir(dir, { recursive: true });
      const train = dataset.train;
      const written =
        train.kind === 'files'
          ? { train: await writeCsv(path.join(dir, 'train.csv'), train.files, train.labels, part) }
          : await writeIdx(dir, 'train', train, part);
      // Relative to the party.yaml beside them, so a site's folder reads the same wherever it is opened from.
      const info = Object.fromEntries(Object.entries({ ...written, ...testData }).map(([key, file]) => [key, path.relative(dir, file)]));
      return {
        name,
        dir,
        configFile: path.join(dir, 'party.yaml'),
        trainSamples: part.length,
        data: { name: train.kind === 'files' ? 'CsvManifest' : 'Idx', info },
      };
    }),
  );
}

export async function writeSiteConfig(site: Site, settings: SiteSettings): Promise<string> {
  const { model, learningRate, batchSize, seed, threads, privacy } = settings;
  const info = {
    ...site.data.info,
    class_names: FASHION_CLASSES,
    batch_size: batchSize,
    seed,
    ...(site.data.name === 'CsvManifest' ? IMAGE_OPTIONS : {}),
  };
  await savePartyConfig(site.configFile, {
    data: { name: site.data.name, info },
    model: { ...model, learning_rate: learningRate, seed },
    training: { backend: 'auto', ...(threads !== undefined && { threads }) },
    federation: {
      server: settings.server,
      transport: settings.transport,
      insecure: true, // loopback only: the demo says so
      poll_interval: settings.pollInterval,
      heartbeat_interval: 10,
      key_file: 'node-key.pem',
      audit_log: SITE_AUDIT_LOG,
    },
    ...(privacy && { privacy }),
  });
  return site.configFile;
}

/** 28x28 grayscale PNGs; one decode thread each, since several parties share the machine's cores. */
const IMAGE_OPTIONS = { image_size: [28, 28], color_mode: 'grayscale', workers: 1 };

async function writeTestSet(test: Split, dir: string): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true });
  const all = [...test.labels.keys()];
  if (test.kind === 'files') return { test: await writeCsv(path.join(dir, 'test.csv'), test.files, test.labels, all) };
  const written = await writeIdx(dir, 'test', test, all);
  return { test_images: written.test_images!, test_labels: written.test_labels! };
}

/** `path,label` rows, quoted (paths may hold commas), absolute paths: the rows are the site's list of its images. */
async function writeCsv(file: string, files: readonly string[], labels: Uint8Array, part: readonly number[]): Promise<string> {
  const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;
  const rows = part.map((index) => `${quote(files[index]!)},${quote(FASHION_CLASSES[labels[index]!]!)}`);
  await writeFile(file, `path,label\n${rows.join('\n')}\n`);
  return file;
}

/** Uncompressed IDX files of the chosen records: `<split>-images-idx3-ubyte` and `<split>-labels-idx1-ubyte`. */
async function writeIdx(
  dir: string,
  split: 'train' | 'test',
  data: Split & { kind: 'pixels' },
  part: readonly number[],
): Promise<Record<string, string>> {
  const size = data.rows * data.cols;
  const images = Buffer.alloc(16 + part.length * size);
  images.writeUInt32BE(0x803, 0);
  [part.length, data.rows, data.cols].forEach((value, i) => images.writeUInt32BE(value, 4 + 4 * i));
  const labels = Buffer.alloc(8 + part.length);
  labels.writeUInt32BE(0x801, 0);
  labels.writeUInt32BE(part.length, 4);
  part.forEach((index, i) => {
    images.set(data.pixels.subarray(index * size, (index + 1) * size), 16 + i * size);
    labels[8 + i] = data.labels[index]!;
  });
  const imagesFile = path.join(dir, `${split}-images-idx3-ubyte`);
  const labelsFile = path.join(dir, `${split}-labels-idx1-ubyte`);
  await Promise.all([writeFile(imagesFile, images), writeFile(labelsFile, labels)]);
  return { [`${split}_images`]: imagesFile, [`${split}_labels`]: labelsFile };
}
