// Tests (Node, real files): a built-in handler's missing files and folders are problems of the text as typed, on their key and line, before any save.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkConfigText } from '../../../main/services/config-text.js';
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
