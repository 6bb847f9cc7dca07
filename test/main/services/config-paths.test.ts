// Tests (Node, real files): a built-in's missing files and folders, and a batch too large for memory, are problems of the text as typed, on their key and line.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import { checkConfigText } from '../../../main/services/config-text.js';
import { memoryIssues } from '../../../main/services/config-memory.js';
import { loadConfigText } from '../../../main/services/new-site.js';
import { makeParty, PARTY_YAML } from './party-fixture.js';
import type { Party } from './party-fixture.js';

let party: Party;
beforeAll(async () => {
  party = await makeParty();
});
afterAll(() => fsp.rm(party.dir, { recursive: true, force: true }));

describe('checkConfigText: paths that are not there', () => {
  it('a train folder typed wrong is a problem on its key and line; the folders that exist are none', async () => {
    expect(await checkConfigText(PARTY_YAML, party.config)).toMatchObject({ valid: true, issues: [] });
    const check = await checkConfigText(PARTY_YAML.replace('train: train', 'train: trian'), party.config);
    expect(check).toMatchObject({
      valid: false,
      issues: [{ key: 'data.info.train', line: 5, problem: `${path.join(party.dir, 'trian')} does not exist` }],
    });
  });

  it("a Dicom list of folders and its labels CSV: each missing one named on its own item's line", async () => {
    await fsp.writeFile(path.join(party.dir, 'labels.csv'), 'StudyInstanceUID,label\n');
    const text = [
      'data:',
      '  name: Dicom',
      '  info:',
      '    path:',
      '      - train',
      '      - elsewhere',
      '    labels: labels.csv',
      '',
    ].join('\n');
    expect((await checkConfigText(text, party.config)).issues).toEqual([
      { key: 'data.info.path.1', line: 6, problem: `${path.join(party.dir, 'elsewhere')} does not exist` },
    ]);
    const noLabels = await checkConfigText(text.replace('labels.csv', 'nolabels.csv'), party.config);
    expect(noLabels.issues.map((issue) => issue.key)).toEqual(['data.info.path.1', 'data.info.labels']);
  });

  it("a site handler's info is its own: not checked", async () => {
    const text = ['data:', '  name: Mine', '  path: handler.mjs', '  info:', '    train: nowhere', ''].join('\n');
    expect((await checkConfigText(text, party.config)).issues).toEqual([]);
  });
});

describe('checkConfigText: a batch that cannot fit in memory', () => {
  // 4 x h x w x 1 float32 above a quarter of this computer's memory, whatever it has.
  const side = Math.ceil(Math.sqrt(os.totalmem() / 16)) + 1;
  const sized = (size: number, extra = '') =>
    PARTY_YAML.replace('    workers: 2', `    workers: 2\n    image_size: [${size}, ${size}]${extra}`);

  it("is a problem on image_size's line, with the batch's size and this computer's memory", async () => {
    const check = await checkConfigText(sized(side), party.config);
    expect(check.valid).toBe(false);
    expect(check.issues).toEqual([
      {
        key: 'data.info.image_size',
        line: 10,
        problem: expect.stringMatching(
          new RegExp(`^a batch of 4 images of ${side}x${side}x1 as float32 is [\\d.]+ GiB, and this computer has`),
        ),
      },
    ]);
    expect((await checkConfigText(sized(224), party.config)).issues).toEqual([]);
  });

  it('counts three channels for rgb, the default of an ImageFolder', () => {
    const loaded = loadConfigText(sized(100).replace('    color_mode: grayscale\n', ''), party.config);
    const bytes = 4 * 100 * 100 * 3 * 4; // batch 4, rgb
    expect(memoryIssues(loaded, bytes * 4)).toEqual([]);
    expect(memoryIssues(loaded, bytes * 4 - 1)[0]?.problem).toMatch(/4 images of 100x100x3/);
  });
});
