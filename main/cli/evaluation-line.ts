// Runs in the CLI process: the one line `tributary party` prints after a global model is evaluated on the test split: its worst classes first.
import { classFigures, type LocalEvaluationResult } from '../../common/local-evaluation.js';

/** A line, not a table: the worst few classes are what an operator watching the terminal acts on; the UI and the export have the rest. */
const SHOWN = 5;

/** `round 3 on local data, worst classes first: dog 0.500 (4), cat 0.800 (5), +1 more` */
export function evaluationLine({ round, classes, confusion }: Pick<LocalEvaluationResult, 'round' | 'classes' | 'confusion'>): string {
  const measured = classFigures({ classes, confusion }).filter(({ accuracy }) => accuracy !== null);
  const worst = measured.sort((a, b) => a.accuracy! - b.accuracy!).slice(0, SHOWN);
  const shown = worst.map(({ name, accuracy, support }) => `${name} ${accuracy!.toFixed(3)} (${support})`);
  const more = measured.length > SHOWN ? [`+${measured.length - SHOWN} more`] : [];
  return `${round === null ? 'round ?' : `round ${round}`} on local data, worst classes first: ${[...shown, ...more].join(', ')}`;
}
