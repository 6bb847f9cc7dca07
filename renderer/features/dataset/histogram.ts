// Runs in the renderer: the geometry of a class histogram (horizontal bars, one per class), kept out of the component.

interface Bar {
  name: string;
  count: number;
  y: number;
  width: number;
}

interface HistogramLayout {
  bars: Bar[];
  height: number;
  /** Where bars start: after the longest class name. */
  barX: number;
  barMax: number;
}

export const ROW_HEIGHT = 22;
const CHAR_WIDTH = 7.2;

/** Bars scaled to the largest class; an empty class keeps a row (and shows 0) so it cannot go unnoticed. */
export function histogramLayout(classes: readonly { key: string; count: number }[], width: number): HistogramLayout {
  const labelWidth = Math.min(width * 0.4, Math.max(...classes.map((c) => c.key.length), 4) * CHAR_WIDTH + 8);
  const barX = labelWidth;
  const barMax = Math.max(10, width - barX - 56); // room for the count after the longest bar
  const largest = Math.max(1, ...classes.map((c) => c.count));
  const bars = classes.map((c, i) => ({ name: c.key, count: c.count, y: i * ROW_HEIGHT, width: (c.count / largest) * barMax }));
  return { bars, height: classes.length * ROW_HEIGHT, barX, barMax };
}
