// Runs in the renderer: the Local evaluation panel's view model: the latest global model per class, with the change since the round before; a round's matrix.
import { classFigures, type LocalEvaluationResult } from '../../../common/local-evaluation.js';
import { formatMetric } from '../../lib/format.js';

export interface ClassRow {
  name: string;
  support: number;
  accuracy: string;
  /** Since the previous evaluated round, in percentage points (`+4.2`, `−1.0`); empty when there is none to compare. */
  change: string;
  /** down: the class did worse than in the round before. */
  trend: 'up' | 'down' | 'same' | null;
  precision: string;
  recall: string;
}

/** More classes than this and the matrix is not drawn on the page (it would not be read): the PNG export has it all. */
export const MATRIX_CLASSES_SHOWN = 40;

/** The latest evaluation's classes, worst accuracy first (a class with no samples last): what a site checks first. */
export function latestClassRows(evaluations: readonly LocalEvaluationResult[]): ClassRow[] {
  const latest = evaluations.at(-1);
  if (latest === undefined) return [];
  const before = evaluations.at(-2);
  const previous = new Map((before === undefined ? [] : classFigures(before)).map((figures) => [figures.name, figures.accuracy]));
  const ordered = classFigures(latest).sort((a, b) => (a.accuracy ?? Infinity) - (b.accuracy ?? Infinity));
  return ordered.map(({ name, support, accuracy, precision, recall }) => ({
    name,
    support,
    accuracy: formatMetric(accuracy),
    ...changeOf(accuracy, previous.get(name) ?? null),
    precision: formatMetric(precision),
    recall: formatMetric(recall),
  }));
}

function changeOf(now: number | null, before: number | null): Pick<ClassRow, 'change' | 'trend'> {
  if (now === null || before === null) return { change: '', trend: null };
  const points = Math.round((now - before) * 1000) / 10;
  if (points === 0) return { change: '±0', trend: 'same' };
  return points > 0 ? { change: `+${points.toFixed(1)}`, trend: 'up' } : { change: `−${(-points).toFixed(1)}`, trend: 'down' };
}

export interface MatrixCell {
  count: number;
  /** The cell's share of its row (its true class): 0..1, the shade drawn. */
  share: number;
  diagonal: boolean;
}

export interface MatrixView {
  round: number | null;
  classes: string[];
  rows: MatrixCell[][];
  /** Too many classes to draw: the page says so and offers the export instead. */
  tooLarge: boolean;
}

export function matrixView(evaluations: readonly LocalEvaluationResult[], round: number | null | undefined): MatrixView | null {
  const chosen = round === undefined ? evaluations.at(-1) : evaluations.find((evaluation) => evaluation.round === round);
  if (chosen === undefined) return null;
  const tooLarge = chosen.classes.length > MATRIX_CLASSES_SHOWN;
  const rows = tooLarge
    ? []
    : chosen.confusion.map((row, r) => {
        const total = row.reduce((sum, count) => sum + count, 0);
        return row.map((count, c) => ({ count, share: total === 0 ? 0 : count / total, diagonal: r === c }));
      });
  return { round: chosen.round, classes: chosen.classes, rows, tooLarge };
}

/** The rounds with an evaluation, newest first, for the round picker. */
export function evaluatedRounds(evaluations: readonly LocalEvaluationResult[]): (number | null)[] {
  return evaluations.map(({ round }) => round).reverse();
}
