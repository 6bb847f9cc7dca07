// Runs in bench:train (Node): starts each measured run in its own process (Tributary's child, or Python's references) and reads its JSON line.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendChoice } from '../../common/training-config.js';
import { runJson, type JsonRun } from './python.js';
import { repoRoot } from './report.js';
import type { ModelPlan } from './train-plan.js';
import type { EpochsResult, ParamsResult, RunRequest, StepsMeasurement, StepsResult } from './tributary-run.js';

export type Framework = 'keras' | 'torch';
const REFERENCE_DIR = path.join(repoRoot, 'bench', 'reference');
/** Generous: a full-size wasm run of mobilenetv2 at 96x96 takes many minutes on a loaded 2-core machine. */
const RUN_TIMEOUT_MS = 90 * 60_000;
const PARAMS_TIMEOUT_MS = 5 * 60_000;

/** What train_reference.py prints for a timed run. */
export interface ReferenceResult extends StepsMeasurement {
  framework: Framework;
  version: string;
  threads: number;
  jit_compile?: boolean;
}

/** What tutorial_fit.py prints. */
export interface TutorialFitResult {
  version: string;
  samples: number;
  epochs: { seconds: number; samples_per_s: number; test_acc: number }[];
  peak_rss_mb: number;
}

function tributary<T>(request: RunRequest): Promise<JsonRun<T>> {
  const script = fileURLToPath(new URL(`./tributary-run.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
  const args = [...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), script, JSON.stringify(request)];
  return runJson<T>(process.execPath, args, request.mode === 'params' ? PARAMS_TIMEOUT_MS : RUN_TIMEOUT_MS);
}

/** Also writes the model's initial weights and Tributary's sample order, which every timed run of the model then starts from. */
export const tributaryParams = (m: ModelPlan) =>
  tributary<ParamsResult>({
    mode: 'params',
    configFile: m.configFile,
    model: m.model,
    weightsOut: m.initWeights,
    orderOut: m.trainOrder,
    orderSamples: m.steps * m.batch,
  });

/** `step: 'eager'` forces tfjs's eager step on tensorflow (TRIBUTARY_TRAIN_STEP), for the row that compares it with the graph step. */
export const tributarySteps = (m: ModelPlan, backend: BackendChoice, step?: 'eager') =>
  tributary<StepsResult>({
    mode: 'steps',
    configFile: m.configFile,
    model: m.model,
    backend,
    ...(step && { step }),
    steps: m.steps,
    warmup: m.warmup,
    lossAt: m.lossAt,
    initWeights: m.initWeights,
  });

export const tributaryEpochs = (configFile: string, epochs: number, targetAccuracy: number | null) =>
  tributary<EpochsResult>({
    mode: 'epochs',
    configFile,
    model: { builtin: 'mnist-cnn', seed: 0 } as RunRequest['model'],
    backend: 'auto',
    epochs,
    targetAccuracy,
  });

function referenceArgs(framework: Framework, m: ModelPlan): string[] {
  return [
    path.join(REFERENCE_DIR, 'train_reference.py'),
    ...['--framework', framework, '--model', m.name, '--size', String(m.side), '--batch', String(m.batch)],
    ...[
      '--steps',
      String(m.steps),
      '--warmup',
      String(m.warmup),
      '--loss-at',
      String(m.lossAt),
      '--test-per-class',
      String(m.testPerClass),
      '--order',
      m.trainOrder,
    ],
  ];
}

export const referenceParams = (python: string, framework: Framework, m: ModelPlan) =>
  runJson<{ parameters: number; version: string }>(python, [...referenceArgs(framework, m), '--params-only'], PARAMS_TIMEOUT_MS);

/** Keras starts from Tributary's initial weights (the same file); PyTorch from its own, its layers being named and laid out otherwise. */
export const referenceSteps = (python: string, framework: Framework, m: ModelPlan) =>
  runJson<ReferenceResult>(
    python,
    [...referenceArgs(framework, m), ...(framework === 'keras' ? ['--init-weights', m.initWeights] : [])],
    RUN_TIMEOUT_MS,
  );

export const tutorialFit = (python: string, trainDir: string, epochs: number) =>
  runJson<TutorialFitResult>(
    python,
    [path.join(REFERENCE_DIR, 'tutorial_fit.py'), trainDir, '--batch', '64', '--epochs', String(epochs)],
    RUN_TIMEOUT_MS,
  );
