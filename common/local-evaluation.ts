// Runs anywhere (no platform imports): a global model judged on this site's test split: per-class figures from its confusion matrix, and the CSV exports.

/** Beyond this many classes a round's matrix is not kept (a million cells a round); the party says so instead. */
export const LOCAL_EVALUATION_MAX_CLASSES = 1000;

/** What the party keeps of one evaluate message: the confusion matrix of the global model on the test split. */
export interface LocalEvaluationResult {
  runId: string;
  round: number | null;
  /** ISO-8601, UTC: when the evaluation finished. */
  time: string;
  loss: number | null;
  accuracy: number | null;
  samples: number;
  classes: string[];
  /** confusion[true class][predicted class] = samples. */
  confusion: number[][];
}

export interface ClassFigures {
  name: string;
  /** Samples of this class in the test split (the matrix row's sum). */
  support: number;
  correct: number;
  /** correct / support; null for a class with no samples. */
  accuracy: number | null;
  /** correct / samples predicted as this class; null when the model never predicted it. */
  precision: number | null;
  /** Equal to accuracy per class (a row of the matrix): kept under both names because reports use both. */
  recall: number | null;
}

export function classFigures({ classes, confusion }: Pick<LocalEvaluationResult, 'classes' | 'confusion'>): ClassFigures[] {
  const predicted = classes.map((_, c) => confusion.reduce((sum, row) => sum + (row[c] ?? 0), 0));
  return classes.map((name, c) => {
    const row = confusion[c] ?? [];
    const support = row.reduce((sum, count) => sum + count, 0);
    const correct = row[c] ?? 0;
    const recall = support === 0 ? null : correct / support;
    return { name, support, correct, accuracy: recall, precision: predicted[c] === 0 ? null : correct / predicted[c]!, recall };
  });
}

/** One row per round and class, oldest round first: what a site files to compare rounds in a spreadsheet. */
export function perClassCsv(evaluations: readonly LocalEvaluationResult[]): string {
  const rows = [['run', 'round', 'class', 'support', 'correct', 'accuracy', 'precision', 'recall']];
  for (const evaluation of evaluations) {
    for (const figures of classFigures(evaluation)) {
      const { name, support, correct, accuracy, precision, recall } = figures;
      rows.push([
        evaluation.runId,
        text(evaluation.round),
        name,
        String(support),
        String(correct),
        text(accuracy),
        text(precision),
        text(recall),
      ]);
    }
  }
  return csv(rows);
}

/** The matrix of one round: a header of predicted classes, then one row per true class. */
export function confusionCsv({ classes, confusion }: Pick<LocalEvaluationResult, 'classes' | 'confusion'>): string {
  return csv([['true \\ predicted', ...classes], ...classes.map((name, c) => [name, ...(confusion[c] ?? []).map(String)])]);
}

function text(value: number | null): string {
  return value === null ? '' : String(value);
}

/**
 * RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. A text field a spreadsheet would
 * run as a formula (a class name such as "=HYPERLINK(...)": names come from the site's folders and label files) is
 * kept as text with a leading apostrophe, as OWASP advises; numbers are written as they are.
 */
function csv(rows: string[][]): string {
  const cell = (value: string) => {
    const field = FORMULA_START.test(value) && !NUMBER.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
  };
  return rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/i;
