// Tests (Node): a new site's party.yaml text: a comment on each key, paths relative to the file where that reads well, and it loads as written.
import { describe, expect, it } from 'vitest';
import { configText, loadConfigText } from '../../../main/services/new-site.js';
import type { LayoutProposal } from '../../../main/data/layout/recognise.js';

const proposal = (info: Record<string, unknown>): LayoutProposal => ({
  folder: '/srv/site',
  data: { name: 'ImageFolder', info },
  pathKeys: ['train', 'test'],
  why: 'train and test each hold one sub-folder of images per class',
  considered: [],
  sampled: { folders: 3, entries: 9, partial: false, limits: { perFolder: 64, folders: 256, depth: 8 } },
});

const infoLines = (text: string) => text.split('\n').filter((line) => line.startsWith('    '));

describe('configText', () => {
  it('comments each key; a path inside the folder or beside it is relative, one elsewhere absolute', () => {
    const text = configText(
      proposal({ train: '/srv/site/train', test: '/srv/other/test', color_mode: 'grayscale' }),
      '/srv/site/party.yaml',
    );
    expect(infoLines(text)).toEqual([
      '    # train: folder with one sub-folder of images per class',
      '    train: train',
      '    # test: the same for the test split',
      '    test: ../other/test',
      '    # color_mode: grayscale: one channel; rgb: three',
      '    color_mode: grayscale',
    ]);
    const far = configText(proposal({ train: '/data/train' }), '/home/op/configs/party.yaml');
    expect(infoLines(far)).toContain('    train: /data/train');
    const header = text
      .split('\n')
      .filter((line) => line.startsWith('# '))
      .map((line) => line.slice(2))
      .join(' ');
    expect(header).toContain(
      'ImageFolder was chosen: train and test each hold one sub-folder of images per class. (looked at 9 entries in 3 folders, all of them.)',
    );
  });

  it('loads as the file would, its paths resolving against the config folder; a value that needs quotes gets them', () => {
    const text = configText(proposal({ train: '/srv/site/#1: scans', class_names: ['a: b', 'yes'] }), '/srv/site/party.yaml');
    const loaded = loadConfigText(text, '/srv/site/party.yaml');
    expect(loaded.baseDir).toBe('/srv/site');
    expect(loaded.config.data.info).toEqual({ train: '#1: scans', class_names: ['a: b', 'yes'] });
    // A new site asks before it trains for a run (a config without `review:` is served as before).
    expect(loaded.config.review).toEqual({ mode: 'ask', bounds: {} });
  });
});
