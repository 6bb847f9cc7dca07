// Runs in the CLI process: `tributary train --config party.yaml`: trains the config's model on its data in a training thread, then evaluates it.
import type { BackendChoice } from '../../common/training-config.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/party-config.js';
import { TrainingRunner } from '../engine/train/runner.js';
import type { TrainProgress } from '../engine/train/trainer.js';
import { runLog } from './run-log.js';
import type { RunLog } from './run-log.js';
import { formatEpoch, formatEvaluation, formatOpened, trainingProgress } from './train-progress.js';
import type { TrainingProgress } from './train-progress.js';

export interface TrainCommandOptions {
  loaded: LoadedConfig;
  /** Instead of the config's `training.epochs`. */
  epochs?: number;
  /** Instead of the config's `training.backend`. */
  backend?: BackendChoice;
  /** A JSON-lines file to append the run's record to. */
  log?: string;
}

/** The exit code of a run Ctrl-C stopped, as a shell reports a process SIGINT ended. */
const INTERRUPTED = 130;

/** Exit code 0 when trained and evaluated, INTERRUPTED when Ctrl-C stopped it; throws what failed. */
export async function trainCommand({ loaded, epochs: asked, backend, log: logFile }: TrainCommandOptions): Promise<number> {
  const { file, config } = loaded;
  if (!config.model) {
    throw new ConfigError({ file, key: 'model', problem: 'missing: training needs a `model:` section (`builtin: mnist-cnn` or `mlp`, or `path:` to a model.json)' });
  }
  const epochs = asked ?? config.training.epochs;
  const log: RunLog = logFile ? runLog(logFile) : () => {};
  log('start', { config: file, epochs, ...(backend && { backend }) });
  const runner = new TrainingRunner();
  const progress = trainingProgress();
  const interrupt = stopOnInterrupt(runner, progress);
  try {
    const info = await runner.open({ configFile: file, ...(backend && { backend }) });
    log('opened', { ...info });
    console.log(info.backend.description);
    if (info.backend.warning) console.error(`warning: ${info.backend.warning}`);
    console.log(formatOpened(info, config.model));
    if (interrupt.happened()) return stopped(log, 'before training started');
    const onProgress = (event: TrainProgress) => {
      if (event.type === 'batch') return progress.batch(event);
      progress.clear();
      console.log(formatEpoch(event, epochs));
      log('epoch', event);
    };
    const trained = await runner.train(epochs, { onProgress });
    progress.clear();
    if (trained.stopped) return stopped(log, `after ${trained.samples} samples (${trained.epochs.length} whole epochs)`);
    if (info.samples.test === null) {
      console.log('no test split: nothing to evaluate');
      return 0;
    }
    const evaluated = await runner.evaluate();
    console.log(formatEvaluation(evaluated));
    log('evaluated', { ...evaluated });
    return 0;
  } catch (error) {
    if (interrupt.happened()) return stopped(log, 'before it finished'); // a stopped evaluation rejects
    log('failed', { message: (error as Error).message });
    throw error;
  } finally {
    interrupt.dispose();
    await runner.close();
  }
}

function stopped(log: RunLog, when: string): number {
  console.log(`stopped by Ctrl-C ${when}`);
  log('stopped', { when });
  return INTERRUPTED;
}

/** The first Ctrl-C stops the training or evaluation within a batch; a second one ends the process at once, as usual. */
function stopOnInterrupt(runner: TrainingRunner, progress: TrainingProgress): { happened: () => boolean; dispose: () => void } {
  let happened = false;
  const onInterrupt = () => {
    happened = true;
    progress.clear();
    console.error('stopping at the end of this batch (Ctrl-C again to quit at once)');
    runner.stop().catch(() => {}); // a thread that is already gone needs no stop
  };
  process.once('SIGINT', onInterrupt);
  return { happened: () => happened, dispose: () => process.off('SIGINT', onInterrupt) };
}
