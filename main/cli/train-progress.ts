// Runs in the CLI process: how `tributary train` shows a training: a progress line on stderr, epoch and evaluation reports on stdout.
import type { EvaluateResult } from '../engine/train/evaluator.js';
import { describeShape } from '../data/sample-shape.js';
import type { OpenedInfo } from '../engine/train/protocol.js';
import type { BatchProgress, EpochResult } from '../engine/train/trainer.js';
import { steadyPace } from './progress.js';
import { table } from './table.js';

export interface TrainingProgress {
  batch(event: BatchProgress): void;
  /** Takes a line redrawn in place off the terminal, before anything else is printed. */
  clear(): void;
}

/** Redrawn in place on a terminal (tfjs's own throttle: about four times a second); else a line at a steady pace and at each epoch's end. */
export function trainingProgress(stream: NodeJS.WriteStream = process.stderr): TrainingProgress {
  let drawn = false;
  const due = steadyPace();
  return {
    batch(event) {
      if (stream.isTTY) {
        stream.write(`\r${formatBatch(event)}\x1b[K`);
        drawn = true;
        return;
      }
      if (due(event.batch === event.batches)) stream.write(`${formatBatch(event)}\n`);
    },
    clear() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

export function formatBatch(event: BatchProgress): string {
  const accuracy = event.accuracy === null ? '' : `  accuracy ${event.accuracy.toFixed(4)}`;
  return (
    `epoch ${event.epoch}/${event.epochs}  batch ${event.batch}/${event.batches}  loss ${event.loss.toFixed(4)}${accuracy}  ` +
    `${Math.round(event.samplesPerSec)} samples/s  ETA ${clock(event.etaSec)}`
  );
}

export function formatEpoch(epoch: EpochResult, epochs: number): string {
  const accuracy = epoch.accuracy === null ? '' : `, accuracy ${epoch.accuracy.toFixed(4)}`;
  const skipped = epoch.skipped ? `, ${epoch.skipped} samples skipped (unreadable, or non-finite values)` : '';
  return (
    `epoch ${epoch.epoch}/${epochs}: loss ${epoch.loss.toFixed(4)}${accuracy}, ` +
    `${epoch.samples} samples in ${epoch.seconds.toFixed(1)} s (${Math.round(epoch.samplesPerSec)} samples/s)${skipped}`
  );
}

/** The data and model the training thread opened, in two lines. */
export function formatOpened(info: OpenedInfo, compiled: { optimizer: string; loss: string }): string {
  const { train, test } = info.samples;
  const splits = [train !== null && `${train} train`, test !== null && `${test} test`].filter(Boolean).join(', ');
  const batch = info.settings.batchSize === null ? '' : `, batch size ${info.settings.batchSize}`;
  return [
    `data: ${splits} samples of ${describeShape(info.sampleShape)}, ${info.classNames.length} classes`,
    `model: ${info.model.name}, ${info.model.parameters.toLocaleString('en-US')} parameters; ` +
      `${compiled.optimizer}, learning rate ${info.settings.learningRate}${batch}, loss ${compiled.loss}`,
  ].join('\n');
}

/** Test loss and accuracy, then one row per true class: its samples, its accuracy, and where its samples were predicted. */
export function formatEvaluation(result: EvaluateResult): string {
  const classes = result.perClass.map((c, i) => `${i} ${c.name}`);
  const rows = result.perClass.map((c, i) => [
    classes[i]!,
    c.samples,
    c.accuracy === null ? '-' : c.accuracy.toFixed(4),
    ...result.confusion[i]!,
  ]);
  const skipped = result.skipped ? `; ${result.skipped} samples skipped (unreadable, or non-finite values)` : '';
  return [
    `test: loss ${result.loss.toFixed(4)}, accuracy ${result.accuracy.toFixed(4)} (${result.samples} samples${skipped})`,
    'per class, with the confusion matrix (rows: true class; numbered columns: predicted class):',
    table(['true class', 'samples', 'accuracy', ...classes.map((_, i) => String(i))], rows),
  ].join('\n');
}

/** m:ss, or h:mm:ss from an hour on. */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}
