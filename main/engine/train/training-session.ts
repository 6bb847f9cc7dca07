// Runs in the training thread: what the thread owns (the tfjs backend, the data handler's splits, the compiled model) and what each request does with it.
import type * as tfjs from '@tensorflow/tfjs';
import { BUILTIN_MODELS } from '../../../common/model-config.js';
import type { ModelSection } from '../../../common/model-config.js';
import { ConfigError } from '../../config/errors.js';
import { loadPartyConfig } from '../../config/party-config.js';
import type { LoadedConfig } from '../../config/party-config.js';
import type { DataGenerator } from '../../data/data-generator.js';
import { closeSplits } from '../../data/data-handler.js';
import type { DataSplits } from '../../data/data-handler.js';
import { openData } from '../../data/handler-loader.js';
import { describeShape, sampleDims } from '../../data/sample-shape.js';
import { describeBackend, selectBackend } from '../backend.js';
import type { BackendReport } from '../backend.js';
import { chooseStep, describeStep } from '../graph/step-choice.js';
import { buildModel, learningRateOf, setLearningRate } from '../model-spec.js';
import { chooseBackend } from './backend-probe.js';
import { seedMathRandom } from './seeded-random.js';
import { getWeights, setWeights } from '../weights.js';
import type { CheckedWeights, NamedArray } from '../weights.js';
import { evaluate } from './evaluator.js';
import type { EvaluateResult } from './evaluator.js';
import type { CheckedRequest, OpenedInfo, TrainingSettings } from './protocol.js';
import { trainEpochs } from './trainer.js';
import type { TrainOptions, TrainResult } from './trainer.js';

type OpenRequest = Extract<CheckedRequest, { type: 'open' }>;
type ConfigureRequest = Extract<CheckedRequest, { type: 'configure' }>;

interface Opened {
  configFile: string;
  backend: BackendReport;
  splits: DataSplits;
  model: tfjs.LayersModel;
}

export class TrainingSession {
  #opened: Opened | null = null;

  /**
   * Reads the config, starts a backend, opens the data and builds the model for it, on the faster backend measured
   * (backend-probe.ts) unless one was asked for; an error names the step that failed. The model, the backend to try
   * first and the wasm threads come from the config unless the request names them.
   */
  async open(request: OpenRequest): Promise<OpenedInfo> {
    if (this.#opened) {
      throw new Error(
        `${this.#opened.configFile} is already open in this training thread; close it and start a new one to open ${request.configFile}`,
      );
    }
    const { loaded, spec } = await step('reading the config', async () => {
      const config = await loadPartyConfig(request.configFile);
      return { loaded: config, spec: request.model ?? configuredModel(config) };
    });
    const { backend: choice, threads } = loaded.config.training;
    const preferred = request.backend ?? choice;
    const backend = await step('starting a tfjs backend', () =>
      selectBackend({ ...(preferred !== 'auto' && { prefer: preferred }), threads }),
    );
    const { splits } = await step('opening the data', () => openData(loaded));
    try {
      const reference = await step('checking the data', async () => agreeingSplit(splits));
      const sampleShape = { ...reference.sampleShape };
      const numClasses = reference.classNames.length;
      const build = () => buildModel(backend.tf, spec, { inputShape: sampleDims(sampleShape), numClasses, baseDir: loaded.baseDir });
      seedMathRandom(spec.seed);
      let model = await step('building the model', build);
      const batchSize = splits.train?.batchSize;
      if (batchSize !== undefined) {
        const target = { build, sampleShape, numClasses, batchSize };
        const rebuild = await step('timing the backends', () => chooseBackend(backend, { model, target, select: { threads } }));
        if (rebuild) {
          // As if built on the chosen backend alone: the same seeded weights and, after them, the same random draws.
          model.optimizer.dispose(); // not the model's own (built and passed to compile): dispose() would leave it
          model.dispose();
          seedMathRandom(spec.seed);
          model = await step('building the model', build);
        }
      }
      if (backend.name === 'tensorflow') backend.step = describeStep(chooseStep(backend.tf, model));
      this.#opened = { configFile: loaded.file, backend, splits, model };
      return {
        backend: { name: backend.name, description: describeBackend(backend), ...(backend.warning && { warning: backend.warning }) },
        classNames: [...reference.classNames],
        samples: { train: splits.train?.sampleCount ?? null, test: splits.test?.sampleCount ?? null },
        sampleShape,
        model: { name: model.name, parameters: model.countParams(), weights: model.weights.length },
        settings: this.#settings(),
      };
    } catch (error) {
      await closeSplits(splits);
      throw error;
    }
  }

  /** A round's learning rate (for the compiled optimizer) and batch size (for the train split), from the next step on. */
  configure({ learningRate, batchSize }: Omit<ConfigureRequest, 'type' | 'id'>): TrainingSettings {
    const { model, splits, configFile } = this.#need();
    if (batchSize !== undefined && !splits.train)
      throw new Error(`the data handler of ${configFile} has no train split to set a batch size on`);
    if (learningRate !== undefined) setLearningRate(model, learningRate);
    if (batchSize !== undefined) splits.train!.batchSize = batchSize;
    return this.#settings();
  }

  train(epochs: number, options: Omit<TrainOptions, 'epochs'>): Promise<TrainResult> {
    const { backend, model, generator } = this.#split('train');
    return trainEpochs(backend.tf, model, generator, { ...options, epochs });
  }

  /** Evaluates on the test split. */
  evaluate(signal: AbortSignal): Promise<EvaluateResult> {
    const { backend, model, generator } = this.#split('test');
    return evaluate(backend.tf, model, generator, { signal });
  }

  getWeights(): NamedArray[] {
    return getWeights(this.#need().model);
  }

  setWeights(arrays: CheckedWeights): void {
    setWeights(this.#need().model, arrays);
  }

  /** Frees the model and the data handler's decode threads and files; a second close does nothing. */
  async close(): Promise<void> {
    const opened = this.#opened;
    this.#opened = null;
    if (!opened) return;
    opened.model.dispose();
    await closeSplits(opened.splits);
  }

  #settings(): TrainingSettings {
    const { model, splits } = this.#need();
    return { learningRate: learningRateOf(model), batchSize: splits.train?.batchSize ?? null };
  }

  #need(): Opened {
    if (!this.#opened) throw new Error('nothing is open: send open (a config file) first');
    return this.#opened;
  }

  #split(split: keyof DataSplits): Opened & { generator: DataGenerator } {
    const opened = this.#need();
    const generator = opened.splits[split];
    if (!generator) throw new Error(`the data handler of ${opened.configFile} has no ${split} split (its getData() returned none)`);
    return { ...opened, generator };
  }
}

/** The config's `model:` section; without one (and none in the request) there is nothing to train. */
function configuredModel({ file, config }: LoadedConfig): ModelSection {
  if (config.model) return config.model;
  throw new ConfigError({
    file,
    key: 'model',
    problem:
      `missing: add a \`model:\` section (\`builtin:\` ${BUILTIN_MODELS.join(', ')}, or \`path:\` to a model.json) to train, ` +
      'or have the federation offer one',
  });
}

async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The split that gives the model its input shape and classes; when there are two, they must agree, or one model cannot serve both. */
function agreeingSplit({ train, test }: DataSplits): DataGenerator {
  const reference = (train ?? test)!;
  if (train && test) {
    if (train.classNames.join('\n') !== test.classNames.join('\n')) {
      throw new Error(
        `the train split's classes [${train.classNames.join(', ')}] differ from the test split's [${test.classNames.join(', ')}]: set class_names`,
      );
    }
    const shape = (g: DataGenerator) => describeShape(g.sampleShape);
    if (shape(train) !== shape(test))
      throw new Error(`the train split's samples are ${shape(train)} but the test split's are ${shape(test)}`);
  }
  return reference;
}
