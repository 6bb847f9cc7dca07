// Runs in the party (plain Node): the evaluation log beside the audit log, one JSON line per global model evaluated on the test split.
// The per-class figures never leave the site, so the audit log has none: this log keeps them for the history shown after a restart.
import { LOCAL_EVALUATION_MAX_CLASSES, type LocalEvaluationResult } from '../../../common/local-evaluation.js';
import type { EvaluateResult } from '../../engine/train/evaluator.js';
import { JsonLinesLog } from './json-lines.js';

/** `federation-audit.jsonl` -> `federation-audit.evaluations.jsonl`. */
export function evaluationLogOf(auditLog: string): string {
  return `${auditLog.replace(/\.jsonl$/, '')}.evaluations.jsonl`;
}

/** What the party keeps of an evaluation; null (not kept) for a model with more classes than a matrix is kept for. */
export function localEvaluation(
  runId: string,
  round: number | null,
  result: EvaluateResult,
  now = new Date(),
): LocalEvaluationResult | null {
  const classes = result.perClass.map(({ name }) => name);
  if (classes.length > LOCAL_EVALUATION_MAX_CLASSES) return null;
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  const { loss, accuracy, samples, confusion } = result;
  return { runId, round, time: now.toISOString(), loss: finite(loss), accuracy: finite(accuracy), samples, classes, confusion };
}

/** Appends each evaluation in call order; the first failed write is reported, later ones are not repeated. */
export class EvaluationLog {
  readonly #log: JsonLinesLog;
  #failed = false;

  constructor(auditLog: string, onError: (message: string) => void) {
    this.#log = new JsonLinesLog(evaluationLogOf(auditLog), 'evaluation log', (error) => {
      if (!this.#failed) onError(`${error.message}; this run's per-class evaluations will not be there after a restart`);
      this.#failed = true;
    });
  }

  append(evaluation: LocalEvaluationResult): Promise<void> {
    return this.#log.append(evaluation);
  }

  flushed(): Promise<void> {
    return this.#log.flushed();
  }
}
