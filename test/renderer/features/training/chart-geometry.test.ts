// Tests (Node): a line chart's geometry: scales, round-number ticks, paths, dots on short series, the empty and the flat case.
import { describe, expect, it } from 'vitest';
import { layoutChart, paddedExtent, scale, ticks } from '../../../../renderer/features/training/chart-geometry.js';

const BOX = { width: 200, height: 100, left: 20, right: 0, top: 0, bottom: 20 };

describe('chart geometry', () => {
  it('maps a domain onto a range, and an empty domain to its middle', () => {
    expect(scale([0, 10], [0, 100])(5)).toBe(50);
    expect(scale([0, 10], [100, 0])(10)).toBe(0);
    expect(scale([3, 3], [0, 100])(3)).toBe(50);
  });

  it('picks about n round ticks (1, 2 or 5 times a power of ten apart) within the range', () => {
    expect(ticks(0, 1, 3)).toEqual([0, 0.5, 1]);
    expect(ticks(0, 1, 4)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(0.31, 2.38, 3)).toEqual([0.5, 1, 1.5, 2]);
    expect(ticks(1, 10, 4)).toEqual([2, 4, 6, 8, 10]);
    expect(ticks(5, 5, 4)).toEqual([5]);
  });

  it('widens a single value so a flat line sits mid-chart; nothing is [0, 1]', () => {
    expect(paddedExtent([2, 2])).toEqual([1.5, 2.5]);
    expect(paddedExtent([3, 1, 2])).toEqual([1, 3]);
    expect(paddedExtent([])).toEqual([0, 1]);
  });

  it('draws each series as a path inside the plot area, with the y domain given or fitted', () => {
    const layout = layoutChart(
      [
        {
          id: 'a',
          label: 'a',
          points: [
            { x: 1, y: 0 },
            { x: 2, y: 1 },
          ],
        },
      ],
      BOX,
      { yDomain: [0, 1] },
    );
    const [series] = layout.series;
    expect(series).toMatchObject({ id: 'a', count: 2, d: 'M20 80 L200 0' });
    expect(series!.dots).toEqual([
      { x: 20, y: 80 },
      { x: 200, y: 0 },
    ]);
    expect(layout.yTicks.map((t) => t.label)).toEqual(['0', '0.5', '1']);
    expect(layout.xTicks.every((t) => t.at >= BOX.left && t.at <= BOX.width)).toBe(true);
    const fitted = layoutChart(
      [
        {
          id: 'a',
          label: 'a',
          points: [
            { x: 1, y: 2 },
            { x: 2, y: 4 },
          ],
        },
      ],
      BOX,
    );
    const ys = fitted.series[0]!.dots.map((d) => d.y);
    expect(Math.min(...ys)).toBeGreaterThan(BOX.top);
    expect(Math.max(...ys)).toBeLessThan(BOX.height - BOX.bottom);
  });

  it('dots every point of a short series, only the last of a long one; no points, no path and no x ticks', () => {
    const long = Array.from({ length: 100 }, (_, i) => ({ x: i, y: i % 7 }));
    expect(layoutChart([{ id: 'l', label: 'l', points: long }], BOX).series[0]!.dots).toHaveLength(1);
    const empty = layoutChart([{ id: 'e', label: 'e', points: [] }], BOX);
    expect(empty.series[0]).toMatchObject({ d: '', count: 0, dots: [] });
    expect(empty.xTicks).toEqual([]);
  });
});
