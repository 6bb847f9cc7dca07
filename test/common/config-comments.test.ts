// Tests (Node): the note the Dataset page adds under `tributary init`'s header once a data setting changes, on init's own text.
import { describe, expect, it } from 'vitest';
import { DATA_CHANGED_NOTE, withDataChangedNote, withoutDataChangedNote } from '../../common/config-comments.js';
import type { LayoutProposal } from '../../main/data/layout/recognise.js';
import { configText } from '../../main/services/new-site.js';
import { withValue } from '../../renderer/features/dataset/yaml-edit.js';

const proposal: LayoutProposal = {
  folder: '/srv/site',
  data: { name: 'ImageFolder', info: { train: '/srv/site/train', test: '/srv/site/test' } },
  pathKeys: ['train', 'test'],
  why: 'train and test each hold one sub-folder of images per class',
  considered: [],
  sampled: { folders: 3, entries: 9, partial: false, limits: { perFolder: 64, folders: 256, depth: 8 } },
};

describe('withDataChangedNote', () => {
  it("goes under init's header once, however many edits follow, and leaves every other line as it was", () => {
    const written = configText(proposal, '/srv/site/party.yaml');
    const edited = withDataChangedNote(withValue(written, ['data', 'info', 'train'], '/mnt/other/train'));
    const lines = edited.split('\n');
    const note = lines.indexOf(DATA_CHANGED_NOTE);
    expect(lines.slice(0, note).every((line) => line.startsWith('#'))).toBe(true);
    expect(lines[note + 1]).toBe('data:');
    expect(lines.filter((line) => line !== DATA_CHANGED_NOTE)).toEqual(
      withValue(written, ['data', 'info', 'train'], '/mnt/other/train').split('\n'),
    );
    expect(withDataChangedNote(withValue(edited, ['data', 'info', 'test'], '/mnt/other/test')).split(DATA_CHANGED_NOTE).length).toBe(2);
    expect(withoutDataChangedNote(edited)).toBe(withValue(written, ['data', 'info', 'train'], '/mnt/other/train'));
  });

  it('leaves a config that init did not write alone', () => {
    const text = 'data:\n  name: ImageFolder\n  info:\n    train: a\n';
    expect(withDataChangedNote(text)).toBe(text);
  });
});
