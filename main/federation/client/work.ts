// Runs in the party (plain Node): does what a task asks with the training thread: set the server's weights, apply the round's settings, train or evaluate.
import type { FederationSection } from '../../../common/federation-config.js';
import type { EvaluateResult } from '../../engine/train/evaluator.js';
import type { TrainingRunner } from '../../engine/train/runner.js';
import type { TrainingSettings } from '../../engine/train/protocol.js';
import type { TrainProgress } from '../../engine/train/trainer.js';
import type { WeightSlot } from '../../engine/weights.js';
import type { SitePrivacy, PrivacyAudit } from '../privacy/site-privacy.js';
import type { Metadata } from '../wire/proto/record-types.js';
import type { RecordDict } from '../wire/records/model.js';
import { fitToModel } from './model-fit.js';
import type { EpochDone, TrainingProgress } from './party-events.js';
import { evaluateMetrics, evaluateReply, parametersReply, propertiesReply, trainMetrics, trainReply } from './replies.js';
import { roundSettings } from './round-config.js';
import type { Task, WorkTask } from './task.js';
import { TaskNotApproved, type TaskReview } from './task-review.js';

/** The training thread's calls the party uses (TrainingRunner has them all). */
export type WorkRunner = Pick<TrainingRunner, 'getWeights' | 'setWeights' | 'configure' | 'train' | 'evaluate' | 'stop'>;

export interface WorkContext {
  runner: WorkRunner;
  /** The model's weights (names, shapes) in order: what every server array must fit. */
  slots: readonly WeightSlot[];
  /** The model's own learning rate and batch size, restored for a round that does not set them. */
  defaults: TrainingSettings;
  section: FederationSection;
  /** The operator asked to abort the task in hand: a stop sent before training began found nothing to stop. */
  stopRequested: () => boolean;
  onTraining: (progress: TrainingProgress) => void;
  /** An epoch of the round's training finished; the party adds the run. */
  onEpoch: (done: Omit<EpochDone, 'runId'>) => void;
  onEvaluating: (round: number | null) => void;
  /** The global model was evaluated: its per-class result stays on site (the reply carries loss, accuracy and count only). */
  onEvaluated?: (round: number | null, result: EvaluateResult) => void;
  notice: (message: string) => void;
  /** The site's privacy policy: which messages it declines, and what an update becomes before it leaves. */
  privacy?: SitePrivacy;
  /** Task review (the config's `review:`): a run's task waits for the operator's approval before it is served. */
  review?: TaskReview;
}

/** Which message is being served: its round, and the federation run it belongs to (the privacy budget is per run). */
export interface WorkRound {
  round: number | null;
  runId: string;
  /** The update leaves only masked (a SecAgg+ round), so the server never reads it alone. */
  secure?: boolean;
  /** The message's own: its TTL bounds how long it may wait for task review. */
  metadata?: Metadata;
}

export interface WorkDone {
  content: RecordDict;
  /** The metrics sent back, for the round summary. */
  metrics: Record<string, number>;
  /** A train reply's: how its update was clipped and noised (null: it left as trained). */
  privacy?: PrivacyAudit | null;
}

/** The site's privacy policy declines the message; the text says why. */
export class PrivacyDeclined extends Error {
  override readonly name = 'PrivacyDeclined';
}

/** Training was stopped (the operator left, aborting): there is nothing to send but an error. */
export class WorkAborted extends Error {
  override readonly name = 'WorkAborted';
}

export async function doWork(task: Task, { round, runId, secure = false, metadata }: WorkRound, context: WorkContext): Promise<WorkDone> {
  const { runner } = context;
  const facts = { defaults: context.defaults, localEpochs: context.section.local_epochs };
  const notApproved = await context.review?.admit(task, { runId, round, secure, ...(metadata && { metadata }) }, facts);
  if (notApproved) throw new TaskNotApproved(notApproved);
  const declined = await context.privacy?.check({ kind: task.kind, secure, config: 'config' in task ? task.config : new Map() }, runId);
  if (declined) throw new PrivacyDeclined(declined);
  if (task.kind === 'get_properties') return { content: propertiesReply(), metrics: {} };
  if (task.kind === 'get_parameters') return { content: parametersReply(await runner.getWeights()), metrics: {} };
  return workOn(task, { round, runId }, context);
}

async function workOn(task: WorkTask, { round, runId }: WorkRound, context: WorkContext): Promise<WorkDone> {
  const { runner } = context;
  const names = task.arrays.map((array) => array.name);
  const weights = fitToModel(task.arrays, context.slots, task.arraysKey);
  if (task.kind === 'train') {
    const { section, defaults } = context;
    const settings = roundSettings(task.config, section.bounds, section.local_epochs);
    for (const adjustment of settings.adjustments) context.notice(adjustment);
    await runner.setWeights(weights);
    await runner.configure({
      learningRate: settings.learningRate ?? defaults.learningRate,
      ...batchSize(settings.batchSize ?? defaults.batchSize),
    });
    abortIfStopped(context);
    const outcome = await train(runner, settings.epochs, round, context);
    const released = await context.privacy?.release({ runId, round, received: weights, trained: outcome.weights, config: task.config });
    const sent = released ? { ...outcome, weights: released.weights } : outcome;
    return { content: trainReply(task.style, names, sent), metrics: trainMetrics(outcome), privacy: released?.audit ?? null };
  }
  await runner.setWeights(weights);
  abortIfStopped(context);
  context.onEvaluating(round);
  const result = await runner.evaluate();
  context.onEvaluated?.(round, result);
  const outcome = { loss: result.loss, accuracy: result.accuracy, numExamples: result.samples };
  return { content: evaluateReply(task.style, outcome), metrics: evaluateMetrics(outcome) };
}

async function train(runner: WorkRunner, epochs: number, round: number | null, { onTraining, onEpoch }: WorkContext) {
  let latest: TrainingProgress = { round, epoch: 1, epochs, batch: 0, batches: 0, loss: null, acc: null, samplesPerSec: 0, etaSec: 0 };
  const onProgress = (event: TrainProgress) => {
    onTraining((latest = progressOf(event, latest)));
    if (event.type === 'epoch') onEpoch(epochDone(event, round, epochs));
  };
  const result = await runner.train(epochs, { onProgress });
  const last = result.epochs.at(-1);
  if (result.stopped || !last) throw new WorkAborted(`training was stopped after ${result.samples} samples`);
  // FedAvg weighs a site by its training samples (one epoch's worth), as Flower's examples report len(trainset).
  return { weights: await runner.getWeights(), numExamples: last.samples, loss: last.loss, accuracy: last.accuracy };
}

/** A batch event as it is; an epoch's end as its last batch, with the epoch's own means. */
function progressOf(event: TrainProgress, latest: TrainingProgress): TrainingProgress {
  if (event.type === 'batch') {
    const { epoch, epochs, batch, batches, loss, accuracy, samplesPerSec, etaSec } = event;
    return { round: latest.round, epoch, epochs, batch, batches, loss, acc: accuracy, samplesPerSec, etaSec };
  }
  const done = event.epoch === latest.epochs;
  return {
    ...latest,
    epoch: event.epoch,
    batch: latest.batches,
    loss: event.loss,
    acc: event.accuracy,
    samplesPerSec: event.samplesPerSec,
    etaSec: done ? 0 : latest.etaSec,
  };
}

/** A finished epoch as the party reports and logs it: a mean that is not a finite number (a diverged loss) is null. */
function epochDone(event: Extract<TrainProgress, { type: 'epoch' }>, round: number | null, epochs: number): Omit<EpochDone, 'runId'> {
  const { epoch, loss, accuracy, samples, seconds, samplesPerSec } = event;
  const finite = (value: number | null) => (value !== null && Number.isFinite(value) ? value : null);
  return {
    round,
    epoch,
    epochs,
    loss: finite(loss),
    acc: finite(accuracy),
    samples,
    seconds: finite(seconds) ?? 0,
    samplesPerSec: finite(samplesPerSec) ?? 0,
  };
}

function abortIfStopped(context: WorkContext): void {
  if (context.stopRequested()) throw new WorkAborted('stopped before it began');
}

function batchSize(size: number | null): { batchSize?: number } {
  return size === null ? {} : { batchSize: size };
}
