// Runs in the renderer: a line chart's geometry (scales, ticks, SVG paths), kept out of the component so it is cheap to test and to redraw.

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  id: string;
  label: string;
  points: readonly Point[];
}

export interface ChartBox {
  width: number;
  height: number;
  /** Room for the y labels on the left and the x labels below. */
  left: number;
  bottom: number;
  top: number;
  right: number;
}

export interface DrawnSeries {
  id: string;
  label: string;
  /** An SVG path, `M x y L x y ...`; empty for no points. */
  d: string;
  count: number;
  /** Where a lone point, or the last one, is drawn as a dot. */
  dots: Point[];
}

export interface ChartLayout {
  series: DrawnSeries[];
  yTicks: { at: number; label: string }[];
  xTicks: { at: number; label: string }[];
}

/** Below this many points each point gets a dot: a round chart of three rounds is read point by point. */
const DOTS_UP_TO = 40;

export function layoutChart(series: readonly Series[], box: ChartBox, options: { yDomain?: [number, number] } = {}): ChartLayout {
  const all = series.flatMap((s) => s.points);
  const [x0, x1] = paddedExtent(all.map((p) => p.x));
  const [y0, y1] = options.yDomain ?? widened(paddedExtent(all.map((p) => p.y)), 0.06);
  const x = scale([x0, x1], [box.left, box.width - box.right]);
  const y = scale([y0, y1], [box.height - box.bottom, box.top]);
  const drawn = series.map(({ id, label, points }) => {
    const placed = points.map((p) => ({ x: round(x(p.x)), y: round(y(p.y)) }));
    const dots = placed.length <= DOTS_UP_TO ? placed : placed.slice(-1);
    return { id, label, d: placed.map((p, i) => `${i ? 'L' : 'M'}${p.x} ${p.y}`).join(' '), count: points.length, dots };
  });
  return {
    series: drawn,
    yTicks: ticks(y0, y1, 3).map((value) => ({ at: round(y(value)), label: tickLabel(value) })),
    xTicks: all.length
      ? ticks(x0, x1, 4)
          .filter(Number.isInteger)
          .map((value) => ({ at: round(x(value)), label: String(value) }))
      : [],
  };
}

/** Maps a domain onto a range; an empty domain (one value) maps to the middle. */
export function scale([d0, d1]: [number, number], [r0, r1]: [number, number]): (value: number) => number {
  const span = d1 - d0;
  return (value) => (span === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0));
}

/** The values' range, widened a little when it is a single value so a flat line sits mid-chart. */
export function paddedExtent(values: readonly number[]): [number, number] {
  if (!values.length) return [0, 1];
  let [min, max] = [Infinity, -Infinity];
  for (const v of values) [min, max] = [Math.min(min, v), Math.max(max, v)];
  return min === max ? [min - 0.5, max + 0.5] : [min, max];
}

/** A little room above and below, so the highest and lowest points do not sit on the frame. */
function widened([min, max]: [number, number], share: number): [number, number] {
  const margin = (max - min) * share;
  return [min - margin, max + margin];
}

/** About `count` round numbers (1, 2, 5 times a power of ten) within [min, max]. */
export function ticks(min: number, max: number, count: number): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  // The nearest of 1, 2, 5 and 10 times the power, on a log scale (as d3's ticks choose).
  const error = raw / power;
  const step = power * (error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1);
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function tickLabel(value: number): string {
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en') : String(Number(value.toPrecision(3)));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
