// Runs in main (plain Node): a new site's config from a folder: the recognised layout as commented party.yaml text, its scan, and its write.
import path from 'node:path';
import { Document } from 'yaml';
import { BUILTIN_INFO_SCHEMAS } from '../../common/data-config.js';
import { INIT_HEADER } from '../../common/config-comments.js';
import { PartyConfigSchema } from '../../common/party-config.js';
import { validateSection } from '../config/party-config.js';
import type { LoadedConfig } from '../config/party-config.js';
import { writeNewText } from '../config/new-file.js';
import { parseYamlConfig } from '../config/yaml-config.js';
import { closeSplits } from '../data/data-handler.js';
import { openData } from '../data/handler-loader.js';
import { recogniseLayout, sampledWords } from '../data/layout/recognise.js';
import type { LayoutProposal } from '../data/layout/recognise.js';
import { scanSplit } from '../data/scan.js';
import type { ScanProgress, SplitScan } from '../data/scan.js';

export const CONFIG_NAME = 'party.yaml';

/** What the schemas do not say of a key the recogniser fills. */
const KEY_WORDS: Record<string, string> = {
  test: 'the same for the test split',
  color_mode: 'grayscale: one channel; rgb: three',
  path_column: 'the CSV column holding each image path',
  label_column: 'the CSV column holding the labels',
  train_images: 'IDX file of the training images (raw or .gz)',
  train_labels: 'IDX file of their labels',
  test_images: 'IDX file of the test images',
  test_labels: 'IDX file of their labels',
};

export interface NewSite {
  proposal: LayoutProposal;
  /** Absolute path the text was written for: its relative paths resolve against its folder. */
  file: string;
  text: string;
}

/** Recognise `folder` and render its config for `file` (default: party.yaml inside the folder). */
export async function proposeSite(folder: string, file?: string): Promise<NewSite> {
  const absolute = path.resolve(folder);
  const proposal = await recogniseLayout(absolute);
  const target = path.resolve(file ?? path.join(absolute, CONFIG_NAME));
  return { proposal, file: target, text: configText(proposal, target) };
}

function keyComment(handler: LayoutProposal['data']['name'], key: string): string {
  const shape = (BUILTIN_INFO_SCHEMAS[handler] as unknown as { shape: Record<string, { description?: string }> }).shape;
  return shape[key]?.description ?? KEY_WORDS[key] ?? '';
}

/** A long comment over several lines of at most about 110 characters. */
function commentLines(text: string): string[] {
  const lines = [''];
  for (const word of text.split(' ')) {
    if (lines.at(-1)!.length + word.length > 110) lines.push('');
    lines[lines.length - 1] += `${lines.at(-1) ? ' ' : ''}${word}`;
  }
  return lines.map((line) => `# ${line}`);
}

function flow(value: unknown): string {
  return new Document(value).toString({ collectionStyle: 'flow', lineWidth: 0 }).trim();
}

/** party.yaml with a comment above each key saying what it is; paths relative to the config file, as the loader reads them. */
export function configText(proposal: LayoutProposal, file: string): string {
  const { name, info } = proposal.data;
  const base = path.dirname(file);
  const lines = [
    `${INIT_HEADER}${proposal.folder}.`,
    ...commentLines(`${name} was chosen: ${proposal.why}. (${sampledWords(proposal.sampled)}.)`),
    '# Relative paths are relative to this file. `tributary scan --config <this file>` shows what the data holds.',
    'data:',
    '  # the built-in handler that reads the folder (a site handler names its class here and its module in `path`)',
    `  name: ${name}`,
    "  # the handler's settings: where the data is and how samples are read",
    '  info:',
  ];
  for (const [key, value] of Object.entries(info)) {
    const shown = proposal.pathKeys.includes(key) && typeof value === 'string' ? relativePath(base, value) : value;
    const comment = keyComment(name, key);
    if (comment) lines.push(...commentLines(`${key}: ${comment}`).map((line) => `    ${line}`));
    lines.push(`    ${key}: ${flow(shown)}`);
  }
  lines.push(
    '# No `model:` yet: scanning and previewing need none. To train locally add one (e.g. `model: { builtin: mnist-cnn }`),',
    '# or join a federation that offers it (`federation:`, on the Federation page).',
    "# Task review: each federation run's task (model, rounds, epochs, learning rate, what goes back) waits for the operator's",
    '# approval before this site trains for it. `mode: auto_within_bounds` with `bounds:` approves within limits; `off` never asks.',
    'review:',
    '  mode: ask',
  );
  return `${lines.join('\n')}\n`;
}

/** Relative when the data is in the config's folder or beside it (one level up, below the root); elsewhere absolute reads better. */
function relativePath(base: string, target: string): string {
  const relative = path.relative(base, target) || '.';
  const ups = relative.split(path.sep).filter((part) => part === '..').length;
  const parentIsRoot = path.dirname(base) === path.parse(base).root;
  return ups === 0 || (ups === 1 && !parentIsRoot) ? relative : target;
}

/** The config as loadPartyConfig would load it from the file, from text not yet written. */
export function loadConfigText(text: string, file: string): LoadedConfig {
  const { value, lineOf } = parseYamlConfig(text, file);
  return { file, baseDir: path.dirname(file), config: validateSection(PartyConfigSchema, value, { file, lineOf }), lineOf };
}

/** Decode every sample of each split once, as `tributary scan` and the Dataset page do. */
export async function scanSite(site: NewSite, onProgress?: (progress: ScanProgress) => void): Promise<SplitScan[]> {
  const { splits } = await openData(loadConfigText(site.text, site.file));
  try {
    const scans: SplitScan[] = [];
    for (const split of ['train', 'test'] as const) {
      const generator = splits[split];
      if (generator) scans.push(await scanSplit(split, generator, { onProgress }));
    }
    return scans;
  } finally {
    await closeSplits(splits);
  }
}

/** Writes the text (checked first: a config that does not load is not written); never over a file unless `replace`. */
export async function writeSite(site: NewSite, replace = false): Promise<string> {
  loadConfigText(site.text, site.file);
  return writeNewText(site.file, site.text, replace);
}
