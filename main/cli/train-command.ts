// Runs in the CLI process: `tributary train --config party.yaml`: trains the config's model on its data in a training thread, then evaluates it.
import { BUILTIN_MODELS } from '../../common/model-config.js';
import type { BackendChoice } from '../../common/training-config.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/party-config.js';
import { TrainingRunner } from '../engine/train/runner.js';
import type { TrainProgress } from '../engine/train/trainer.js';
import { interruptible, interruptOf } from './interrupts.js';
import type { Interrupt } from './interrupts.js';
import { runLog } from './run-log.js';
import type { RunLog } from './run-log.js';
import { formatEpoch, formatEvaluation, formatOpened, trainingProgress } from './train-progress.js';

export interface TrainCommandOptions {
  loaded: LoadedConfig;
  /** Instead of the config's `training.epochs` (and its `max_steps`). */
  epochs?: number;
  /** Exactly this many batches, instead of the config's `training.max_steps` or epochs. */
  steps?: number;
  /** Instead of the config's `training.backend`. */
  backend?: BackendChoice;
  /** A JSON-lines file to append the run's record to. */
  log?: string;
}

/** Exit code 0 when trained and evaluated, 130 when Ctrl-C stopped it (143: SIGTERM); throws what failed. */
export async function trainCommand({
  loaded,
  epochs: asked,
  steps: askedSteps,
  backend,
  log: logFile,
}: TrainCommandOptions): Promise<number> {
  const { file, config } = loaded;
  const { model } = config;
  if (!model) {
    throw new ConfigError({
      file,
      key: 'model',
      problem: `missing: training needs a \`model:\` section (\`builtin:\` ${BUILTIN_MODELS.join(', ')}, or \`path:\` to a model.json)`,
    });
  }
  // A flag wins over the config; steps win over epochs. Every epoch trains at least a batch, so `steps` epochs always hold `steps` batches.
  const steps = askedSteps ?? (asked === undefined ? config.training.max_steps : undefined);
  const epochs = steps ?? asked ?? config.training.epochs;
  const log: RunLog = logFile ? runLog(logFile) : () => {};
  log('start', { config: file, epochs, ...(steps && { steps }), ...(backend && { backend }) });
  const runner = new TrainingRunner();
  const progress = trainingProgress();
  return interruptible(
    async (signal) => {
      const info = await runner.open({ configFile: file, ...(backend && { backend }) });
      log('opened', { ...info });
      console.log(info.backend.description);
      if (info.backend.warning) console.error(`warning: ${info.backend.warning}`);
      console.log(formatOpened(info, model));
      if (signal.aborted) return stopped(log, 'before training started', interruptOf(signal));
      let shownEpochs = epochs; // the epochs the steps take, as the first batch event reports them
      const onProgress = (event: TrainProgress) => {
        if (event.type === 'batch') {
          shownEpochs = event.epochs;
          return progress.batch(event);
        }
        progress.clear();
        console.log(formatEpoch(event, shownEpochs));
        log('epoch', event);
      };
      const trained = await runner.train(epochs, { ...(steps && { maxSteps: steps }), onProgress });
      progress.clear();
      if (trained.stopped)
        return stopped(log, `after ${trained.samples} samples (${trained.epochs.length} whole epochs)`, interruptOf(signal));
      if (info.samples.test === null) {
        console.log('no test split: nothing to evaluate');
        return 0;
      }
      const evaluated = await runner.evaluate();
      console.log(formatEvaluation(evaluated));
      log('evaluated', { ...evaluated });
      return 0;
    },
    {
      // The first interrupt stops the training or evaluation within a batch; a second one ends the process at once, as usual.
      onInterrupt: (_count, { words }) => {
        progress.clear();
        console.error(`stopping at the end of this batch (${words} again to quit at once)`);
        runner.stop().catch(() => {}); // a thread that is already gone needs no stop
      },
      interrupted: (interrupt) => stopped(log, 'before it finished', interrupt), // a stopped evaluation rejects
      cleanup: () => runner.close(),
    },
  ).catch((error: unknown) => {
    log('failed', { message: (error as Error).message });
    throw error;
  });
}

/** Says what stopped the run and when; the exit code a shell gives a process that signal ended. */
function stopped(log: RunLog, when: string, { words, exitCode }: Interrupt): number {
  console.log(`stopped by ${words} ${when}`);
  log('stopped', { when });
  return exitCode;
}
