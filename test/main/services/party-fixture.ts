// Test helper (Node): a small party on disk: three classes of gray PNGs, one unreadable file, and a commented party.yaml.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { cleanTree, tempDir } from '../../fixtures/corpus.js';

export const CLASSES = ['cat', 'dog', 'emu'];

export const PARTY_YAML = [
  '# a small party for the services tests',
  'data:',
  '  name: ImageFolder',
  '  info:',
  '    train: train      # relative to this file',
  '    test: test',
  '    color_mode: grayscale',
  '    batch_size: 4     # small on purpose',
  '    workers: 2',
  '',
].join('\n');

export interface Party {
  dir: string;
  config: string;
}

/** train: 4 per class plus one unreadable file in `cat`; test: 2 per class. */
export async function makeParty(): Promise<Party> {
  const dir = await tempDir('tributary-services-');
  await cleanTree(path.join(dir, 'train'), CLASSES, 4);
  await cleanTree(path.join(dir, 'test'), CLASSES, 2);
  await fsp.writeFile(path.join(dir, 'train', 'cat', 'broken.png'), 'not a png');
  const config = path.join(dir, 'party.yaml');
  await fsp.writeFile(config, PARTY_YAML);
  return { dir, config };
}
