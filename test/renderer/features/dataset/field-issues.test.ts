// Tests (Node): each config problem goes beside its field; problems of a section, the file, or an unknown key go above the form.
import { describe, expect, it } from 'vitest';
import { placeIssues } from '../../../../renderer/features/dataset/field-issues.js';

describe('placeIssues', () => {
  it('puts an issue beside its field, an item of a list field included, and the rest elsewhere', () => {
    const issues = [
      { key: 'data.info.batch_size', line: 7, problem: 'expected a whole number >= 1, got 0' },
      { key: 'data.info.image_size[1]', line: 6, problem: 'expected a whole number, got "x"' },
      { key: 'data.info', line: 8, problem: 'unknown key "colr_mode"' },
      { key: '', problem: 'YAML syntax' },
    ];
    const { byField, elsewhere } = placeIssues(issues, ['data.name', 'data.info.batch_size', 'data.info.image_size']);
    expect(byField.get('data.info.batch_size')).toEqual([issues[0]]);
    expect(byField.get('data.info.image_size')).toEqual([issues[1]]);
    expect(elsewhere).toEqual([issues[2], issues[3]]);
  });
});
