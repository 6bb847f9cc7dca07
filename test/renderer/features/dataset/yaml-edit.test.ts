// Tests (Node): a form edit changes one value in the YAML text and leaves every other character as the person typed it.
import { describe, expect, it } from 'vitest';
import { readYaml, valueAt, withValue } from '../../../../renderer/features/dataset/yaml-edit.js';

const TEXT = [
  '# the party',
  'data:',
  '  name: ImageFolder',
  '  info:',
  '    train: ../train        # relative to this file',
  '    image_size: [28, 28]   # [height, width]',
  '    batch_size: 64         # per step',
  '',
].join('\n');

describe('withValue', () => {
  it('replaces a value in place: comments, their alignment and the other lines untouched', () => {
    const edited = withValue(withValue(TEXT, ['data', 'info', 'batch_size'], 0), ['data', 'info', 'image_size'], [32, 30]);
    expect(edited).toBe(TEXT.replace('batch_size: 64', 'batch_size: 0').replace('[28, 28]', '[32, 30]'));
  });

  it('quotes a string that needs it', () => {
    expect(withValue(TEXT, ['data', 'info', 'train'], 'a: b')).toContain('    train: "a: b"        # relative to this file');
  });

  it('adds a new key (lists on one line) and removes one, keeping the comments', () => {
    const added = withValue(TEXT, ['data', 'info', 'class_names'], ['cat', 'dog']);
    expect(readYaml(added)).toMatchObject({ data: { info: { class_names: ['cat', 'dog'] } } });
    expect(added).toContain('class_names: [cat, dog]');
    expect(added).toContain('# per step');
    const removed = withValue(added, ['data', 'info', 'batch_size'], undefined);
    expect(valueAt(readYaml(removed), ['data', 'info', 'batch_size'])).toBeUndefined();
    expect(removed).toContain('# the party');
  });

  it('adds a missing section, and turns a scalar into a list when asked', () => {
    expect(readYaml(withValue('data:\n  name: X\n', ['data', 'info', 'seed'], 3))).toEqual({ data: { name: 'X', info: { seed: 3 } } });
    expect(readYaml(withValue(TEXT, ['data', 'name'], ['a']))).toMatchObject({ data: { name: ['a'] } });
  });

  it('writes mean and std on one line, in place of a name and then of itself, and a name back in place of them', () => {
    const stats = withValue(TEXT, ['data', 'info', 'normalize'], { mean: [0.5], std: [0.25] });
    expect(stats).toContain('normalize: {mean: [0.5], std: [0.25]}');
    const named = withValue(TEXT.replace('batch_size: 64 ', 'normalize: unit'), ['data', 'info', 'normalize'], { mean: [], std: [] });
    expect(readYaml(named)).toMatchObject({ data: { info: { normalize: { mean: [], std: [] } } } });
    const again = withValue(stats, ['data', 'info', 'normalize'], { mean: [0.5, 0.4], std: [0.25, 'x'] });
    expect(again).toBe(stats.replace('{mean: [0.5], std: [0.25]}', '{mean: [0.5, 0.4], std: [0.25, x]}'));
    expect(readYaml(withValue(again, ['data', 'info', 'normalize'], 'unit'))).toMatchObject({ data: { info: { normalize: 'unit' } } });
  });

  it('keeps a long list on its line when adding a key rewrites the document', () => {
    const names = Array.from({ length: 12 }, (_, i) => `class-number-${i}`);
    const text = TEXT.replace('    batch_size: 64 ', `    class_names: [${names.join(', ')}]\n    batch_size: 64 `);
    expect(withValue(text, ['data', 'info', 'seed'], 1)).toContain(`    class_names: [${names.join(', ')}]\n`);
  });

  it('leaves text that does not parse alone: the YAML view is where it gets fixed', () => {
    const broken = 'data:\n  name: [unclosed\n';
    expect(withValue(broken, ['data', 'name'], 'X')).toBe(broken);
    expect(readYaml(broken)).toBeNull();
    expect(readYaml('- a list\n')).toBeNull();
  });
});

describe('valueAt', () => {
  it('follows a path through mappings and lists, undefined where it ends', () => {
    const data = readYaml(TEXT);
    expect(valueAt(data, ['data', 'info', 'image_size', 1])).toBe(28);
    expect(valueAt(data, ['data', 'nope', 'deeper'])).toBeUndefined();
  });
});
