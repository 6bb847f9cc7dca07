// Tests (Node): the pages in the navigation and how the URL's hash picks one.
import { describe, expect, it } from 'vitest';
import { featureOfHash, FEATURES } from '../../../renderer/lib/features.js';

describe('features', () => {
  it('lists the pages that have services behind them, each with its own Alt shortcut', () => {
    expect(FEATURES.map((f) => f.id)).toEqual(['dataset', 'preview', 'federation', 'training']);
    expect(FEATURES.map((f) => f.shortcut)).toEqual(['1', '2', '3', '4']);
    expect(new Set(FEATURES.map((f) => f.shortcut)).size).toBe(FEATURES.length);
  });

  it('reads #/page from the hash, and falls back to the first page', () => {
    expect(featureOfHash('#/preview')).toBe('preview');
    expect(featureOfHash('#preview')).toBe('preview');
    expect(featureOfHash('')).toBe('dataset');
    expect(featureOfHash('#/training')).toBe('training');
    expect(featureOfHash('#/settings')).toBe('dataset');
  });
});
