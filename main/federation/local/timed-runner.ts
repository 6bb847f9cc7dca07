// Runs in the CLI process (plain Node): a party's training thread with its local compute timed,
// so a round's federation overhead can be told apart from training.
import type { WorkRunner } from '../client/work.js';

/** One train or evaluate call, as long as the party waited for its training thread. */
export interface ComputeSpan {
  kind: 'train' | 'evaluate';
  seconds: number;
}

/** The runner with `train` and `evaluate` timed into `spans`, in the order they ran; the other calls pass through. */
export function timedRunner(runner: WorkRunner, spans: ComputeSpan[]): WorkRunner {
  const timed = async <T>(kind: ComputeSpan['kind'], call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await call();
    } finally {
      spans.push({ kind, seconds: (performance.now() - started) / 1000 });
    }
  };
  return {
    getWeights: () => runner.getWeights(),
    setWeights: (arrays) => runner.setWeights(arrays),
    configure: (settings) => runner.configure(settings),
    stop: () => runner.stop(),
    train: (epochs, options) => timed('train', () => runner.train(epochs, options)),
    evaluate: () => timed('evaluate', () => runner.evaluate()),
  };
}
