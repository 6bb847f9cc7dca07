// Tests (Node): the class histogram's geometry: bars scaled to the largest class, a row for every class, an empty one kept.
import { describe, expect, it } from 'vitest';
import { histogramLayout, ROW_HEIGHT } from '../../../../renderer/features/dataset/histogram.js';

describe('histogramLayout', () => {
  it('scales bars to the largest class and gives every class a row, empty ones too', () => {
    const layout = histogramLayout(
      [
        { key: 'cat', count: 50 },
        { key: 'dog', count: 100 },
        { key: 'emu', count: 0 },
      ],
      560,
    );
    const [cat, dog, emu] = layout.bars;
    expect(dog!.width).toBe(layout.barMax);
    expect(cat!.width).toBeCloseTo(layout.barMax / 2);
    expect(emu).toMatchObject({ count: 0, width: 0, y: 2 * ROW_HEIGHT });
    expect(layout.height).toBe(3 * ROW_HEIGHT);
    expect(layout.barX + layout.barMax).toBeLessThan(560);
  });

  it('leaves room for long class names, up to 40% of the width', () => {
    expect(histogramLayout([{ key: 'x'.repeat(200), count: 1 }], 500).barX).toBe(200);
    expect(histogramLayout([], 500).bars).toEqual([]);
  });
});
