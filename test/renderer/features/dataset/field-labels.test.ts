// Tests (Node): a config key's words: the table's where the key would mislead, the key's own words otherwise, for every built-in key.
import { describe, expect, it } from 'vitest';
import { BUILTIN_INFO_SCHEMAS } from '../../../../common/data-config.js';
import { fieldLabel } from '../../../../renderer/features/dataset/field-labels.js';

describe('fieldLabel', () => {
  it('words for keys whose own words say too little, the key as words otherwise', () => {
    expect(fieldLabel('train')).toBe('Training data');
    expect(fieldLabel('max_pixels')).toBe('Largest image, in pixels');
    expect(fieldLabel('batch_size')).toBe('Batch size');
    expect(fieldLabel('interpolation')).toBe('Interpolation');
  });

  it('gives every key of every built-in handler a label with no underscore in it', () => {
    const keys = Object.values(BUILTIN_INFO_SCHEMAS).flatMap((schema) => Object.keys((schema as unknown as { shape: object }).shape));
    for (const key of keys) expect(fieldLabel(key), key).toMatch(/^[A-Z][^_]*$/);
  });
});
