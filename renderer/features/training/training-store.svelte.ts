// Runs in the renderer: the federation runs and the one being watched: its rounds, epochs and batches for the charts and the table,
// capped so a long run stays cheap.
import type { PayloadOf } from '../../../common/contract/contract.js';
import type { EpochProgress, RoundSummary, RunHistory, RunSummary } from '../../../common/contract/party-api.js';
import type { LocalEvaluationResult } from '../../../common/local-evaluation.js';
import { api } from '../../lib/api.js';
import { withRound, withRun } from './runs.js';
import { batchPosition } from './training-points.js';
import type { BatchRound } from './training-points.js';

/** The round the per-batch chart draws, of which run. */
type BatchesOf = BatchRound & { runId: string };

export interface BatchPoint {
  /** The batch's place in its round: the per-batch chart's x. */
  x: number;
  loss: number | null;
  acc: number | null;
}

/** A chart of a few hundred points redraws in well under a frame; earlier rounds are in the epoch and round charts. */
const BATCH_POINTS = 300;
const EPOCHS_KEPT = 300;

class TrainingStore {
  /** Oldest first. */
  runs = $state.raw<readonly RunSummary[]>([]);
  /** The run the charts and the rounds table show. */
  shown = $state<string | null>(null);
  /** Show each new run as it begins (a restarted aggregator's), until the operator picks an older one to look at. */
  following = $state(true);
  /** Of the services process and its training thread, at the last batch. */
  memory = $state.raw<{ rssMb: number; tensors: number } | null>(null);
  /** The round in training (or last trained) of the shown run, batch by batch. */
  batches = $state.raw<BatchPoint[]>([]);
  batchRound = $state.raw<BatchesOf | null>(null);
  epochs = $state.raw<EpochProgress[]>([]);
  rounds = $state.raw<RoundSummary[]>([]);
  /** Each global model of the shown run judged on this site's test split, oldest first (the services bound how many). */
  evaluations = $state.raw<LocalEvaluationResult[]>([]);
  unreadableLines = $state(0);
  error = $state<string | null>(null);

  /** The config whose history is shown; null: the joined party's. Undefined until the page first loads. */
  #file: string | null | undefined;

  /** What the runs were before this page was listening (a reload, a restart of the app or the console): from the services, which read the disk. */
  load = async (file: string | null): Promise<void> => {
    this.#file = file;
    const runId = this.following ? undefined : (this.shown ?? undefined);
    const history = await api.party.history({ ...(file !== null && { file }), ...(runId !== undefined && { runId }) });
    if (!history.ok) {
      this.error = history.error.message;
      return;
    }
    this.error = null;
    this.runs = history.value.runs;
    this.unreadableLines = history.value.unreadableLines;
    this.#show(history.value.run);
  };

  /** The services restarted: what they hold now. */
  reload = async (): Promise<void> => {
    if (this.#file !== undefined) await this.load(this.#file);
  };

  /** The operator picks a run to look at; picking the newest follows new runs again. */
  pick = async (runId: string): Promise<void> => {
    this.following = runId === this.runs.at(-1)?.runId;
    this.shown = runId;
    if (this.#file !== undefined) await this.load(this.#file);
  };

  onProgress = (progress: PayloadOf<'party.progress'>): void => {
    if (progress.kind === 'batch' && progress.memory) this.memory = progress.memory;
    if (progress.runId === null || !this.#arrived(progress.runId)) return;
    if (progress.kind === 'epoch') {
      this.epochs = [...this.epochs, progress].slice(-EPOCHS_KEPT);
      return;
    }
    const { runId, round, epochs, batches } = progress;
    const current = this.batchRound;
    // A new round draws afresh: its batches count from 1 again.
    const same = current && current.runId === runId && current.round === round && current.epochs === epochs && current.batches === batches;
    const earlier = same ? this.batches : [];
    this.batchRound = { runId, round, epochs, batches };
    this.batches = [...earlier, { x: batchPosition(progress), loss: progress.loss, acc: progress.acc }].slice(-BATCH_POINTS);
  };

  onRound = (round: RoundSummary): void => {
    this.runs = withRound(this.runs, round, new Date().toISOString());
    if (this.#arrived(round.runId)) this.rounds = [...this.rounds, round];
  };

  onEvaluation = (evaluation: LocalEvaluationResult): void => {
    if (!this.#arrived(evaluation.runId)) return;
    const others = this.evaluations.filter(({ round }) => round === null || round !== evaluation.round);
    this.evaluations = [...others, evaluation];
  };

  /** True when `runId` is the run shown, which it becomes if it is new and the page follows new runs. */
  #arrived(runId: string): boolean {
    this.runs = withRun(this.runs, runId, new Date().toISOString());
    if (this.following && runId !== this.shown) this.#show({ runId, rounds: [], epochs: [], evaluations: [] });
    return runId === this.shown;
  }

  /** Batches are drawn live only: another run shown has none to draw. */
  #show(run: RunHistory | null): void {
    if (run?.runId !== this.batchRound?.runId) {
      this.batches = [];
      this.batchRound = null;
    }
    this.shown = run?.runId ?? null;
    this.rounds = run?.rounds ?? [];
    this.epochs = (run?.epochs ?? []).slice(-EPOCHS_KEPT);
    this.evaluations = run?.evaluations ?? [];
  }
}

export const trainingStore = new TrainingStore();
