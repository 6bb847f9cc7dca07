// Runs in the training thread on the tensorflow backend: runs a model's training step as one TensorFlow session call, and writes its weights back.
import type * as tfjs from '@tensorflow/tfjs';
import type { Tf } from '../backend.js';
import type { LayerVariable } from './emitter.js';
import { TAG, writeSavedModel } from './saved-model.js';
import { buildTrainGraph } from './train-graph.js';
import type { StateTensor, TrainGraph } from './train-graph.js';

/** What of tfjs-node's NodeJSKernelBackend the step uses (the package is optional, so its types are not imported). */
interface NodeBackend {
  loadSavedModelMetaGraph(path: string, tags: string): number;
  deleteSavedModel(id: number): void;
  runSavedModel(id: number, inputs: tfjs.Tensor[], inputInfos: { name: string; tfDtype: string }[], outputs: string[]): tfjs.Tensor[];
}

type Fields = Record<string, unknown>;

/** The loss and accuracy of one step, as tensors: the caller reads them when it chooses, and disposes them. */
export interface StepTensors {
  loss: tfjs.Tensor;
  accuracy: tfjs.Tensor | null;
}

/**
 * A compiled model's training step as one TensorFlow graph. Every weight, moving statistic and optimizer slot is an
 * input of the graph and comes back as an output, which feeds the next step as it is (no copy, no read): the model's
 * own variables are stale between write-backs, so whoever reads the model calls writeBack() first. The session stays
 * loaded for the model's life; begin() and end() bracket one trainEpochs call.
 */
export class GraphStep {
  /** The step's current weights, slots and scalars, in graph.state's order; null outside begin() ... end(). */
  #state: tfjs.Tensor[] | null = null;
  /** Whether state[i] was made by this step (and is disposed when replaced), or is tfjs's own variable. */
  #owned: boolean[] = [];
  /** The data each weight's tfjs variable held when the step last took or wrote it: another value means someone else wrote it. */
  #seen: unknown[] = [];
  readonly #inputInfos: { name: string; tfDtype: string }[];
  readonly #outputs: string[];
  /** Dropout's seed: [seed, steps taken], which the graph advances itself; a tensor only between begin() and end(). */
  readonly #seedValue: number;
  #steps = 0;
  #seed: tfjs.Tensor | null = null;
  #learningRate: { value: number; tensor: tfjs.Tensor } | null = null;
  /** Steps since the last write-back: the optimizer's iteration count moves by this much then. */
  #unwritten = 0;
  #disposed = false;

  private constructor(
    private readonly tf: Tf,
    private readonly model: tfjs.LayersModel,
    private readonly graph: TrainGraph,
    private readonly session: number,
    seed: number,
  ) {
    this.#seedValue = seed;
    const info = (name: string, tfDtype = 'DT_FLOAT') => ({ name: `${name}:0`, tfDtype });
    this.#inputInfos = [
      info(graph.x),
      info(graph.y),
      info(graph.learningRate),
      ...(graph.seed ? [info(graph.seed.input, 'DT_INT32')] : []),
      ...graph.state.map((entry) => info(entry.input)),
    ];
    this.#outputs = [
      `${graph.loss}:0`,
      ...(graph.accuracy ? [`${graph.accuracy}:0`] : []),
      ...(graph.seed ? [`${graph.seed.output}:0`] : []),
      ...graph.state.flatMap((entry) => (entry.output ? [`${entry.output}:0`] : [])),
    ];
  }

  /**
   * Builds the graph (throws UnsupportedLayer for a model it does not cover), writes it under `cacheDir` and loads it
   * into a TensorFlow session. Only on the tensorflow backend.
   */
  static create(tf: Tf, model: tfjs.LayersModel, cacheDir: string, seed = 0): GraphStep {
    const graph = buildTrainGraph(model);
    const folder = writeSavedModel(cacheDir, graph.graphDef);
    const session = (tf.backend() as unknown as NodeBackend).loadSavedModelMetaGraph(folder, TAG);
    return new GraphStep(tf, model, graph, session, seed);
  }

  /** Takes the model's current weights, moving statistics and optimizer state (set since the last end(), perhaps by a federation round). */
  begin(): void {
    if (this.#disposed) throw new Error('the graph step was disposed');
    this.end();
    this.#state = this.graph.state.map((entry) => initialValue(this.tf, this.model, entry));
    this.#owned = this.graph.state.map((entry) => entry.owner.kind === 'slot' && slotVariable(this.model, entry) === undefined);
    this.#seen = this.graph.state.map((entry) => dataOf(entry));
    if (this.graph.seed) this.#seed = this.tf.tensor1d([this.#seedValue, this.#steps], 'int32');
  }

  /** One training step on a batch; the caller keeps xs and ys (and disposes them) and the returned tensors. */
  run(xs: tfjs.Tensor, ys: tfjs.Tensor): StepTensors {
    const state = this.#state;
    if (state === null) throw new Error('the graph step runs between begin() and end()');
    this.#adoptWrites(state);
    const inputs = [xs, ys, this.#rate(), ...(this.#seed ? [this.#seed] : []), ...state];
    const outputs = (this.tf.backend() as unknown as NodeBackend).runSavedModel(this.session, inputs, this.#inputInfos, this.#outputs);
    let k = 0;
    const loss = outputs[k++]!;
    const accuracy = this.graph.accuracy ? outputs[k++]! : null;
    if (this.#seed) {
      this.#seed.dispose();
      this.#seed = outputs[k++]!;
    }
    this.graph.state.forEach((entry, i) => {
      if (!entry.output) return;
      if (this.#owned[i]) state[i]!.dispose();
      state[i] = outputs[k++]!;
      this.#owned[i] = true;
    });
    this.#unwritten++;
    this.#steps++;
    return { loss, accuracy };
  }

  /** Makes the model's weights, moving statistics and optimizer state the step's current values (no copy: they share them). */
  writeBack(): void {
    const state = this.#state;
    if (state === null || this.#unwritten === 0) return;
    this.#adoptWrites(state);
    const optimizer = this.model.optimizer as unknown as Fields;
    this.graph.state.forEach((entry, i) => {
      const value = state[i]!;
      const { owner } = entry;
      if (!entry.output || (owner.kind === 'weight' && !this.#owned[i])) return;
      if (owner.kind === 'weight') {
        owner.variable.write(value);
        this.#seen[i] = dataOf(entry);
      } else if (owner.kind === 'scalar') (optimizer[owner.field] as tfjs.Variable).assign(value);
      else {
        const slots = optimizer[owner.field] as { originalName: string; variable: tfjs.Variable }[];
        const slot = slots[owner.index];
        if (slot) slot.variable.assign(value);
        else slots[owner.index] = { originalName: `${this.#trainedName(owner.index)}/${owner.suffix}`, variable: value.variable(false) };
      }
    });
    // tfjs's iteration count (what getWeights saves, and `iterations` reads): unset until its first step.
    optimizer['iterations_'] = this.model.optimizer.iterations + this.#unwritten;
    this.#unwritten = 0;
  }

  /** Writes back, and lets go of the step's tensors: the model's variables hold the values now. */
  end(): void {
    this.writeBack();
    this.#state?.forEach((tensor, i) => this.#owned[i] && tensor.dispose());
    this.#state = null;
    // Nothing stays between trainEpochs calls but the session: a model disposed after training leaves no tensor behind.
    this.#seed?.dispose();
    this.#seed = null;
    this.#learningRate?.tensor.dispose();
    this.#learningRate = null;
  }

  /** What frees the TensorFlow session once the model is gone: it holds nothing of the model itself. */
  sessionCloser(): () => void {
    const { session } = this;
    const backend = this.tf.backend() as unknown as NodeBackend;
    return () => backend.deleteSavedModel(session);
  }

  /** Ends, then frees the session. */
  dispose(): void {
    if (this.#disposed) return;
    this.end();
    this.#disposed = true;
    (this.tf.backend() as unknown as NodeBackend).deleteSavedModel(this.session);
  }

  /**
   * A weight someone wrote since the step last took or wrote it (a test ruining a weight, a caller setting one between
   * batches) is taken as the step's value, as the eager step would: the graph never overwrites it with an older one.
   */
  #adoptWrites(state: tfjs.Tensor[]): void {
    this.graph.state.forEach((entry, i) => {
      if (entry.owner.kind !== 'weight' || dataOf(entry) === this.#seen[i]) return;
      if (this.#owned[i]) state[i]!.dispose();
      state[i] = entry.owner.variable.read();
      this.#owned[i] = false;
      this.#seen[i] = dataOf(entry);
    });
  }

  /** The optimizer's learning rate as a scalar tensor, remade only when it changes (a federation round may set it). */
  #rate(): tfjs.Tensor {
    const value = (this.model.optimizer as unknown as { learningRate: number }).learningRate;
    if (this.#learningRate?.value !== value) {
      this.#learningRate?.tensor.dispose();
      this.#learningRate = { value, tensor: this.tf.scalar(value) };
    }
    return this.#learningRate.tensor;
  }

  #trainedName(index: number): string {
    const trained =
      (this.model as unknown as { collectedTrainableWeights?: LayerVariable[] }).collectedTrainableWeights ?? this.model.trainableWeights;
    return (trained[index]!.read() as tfjs.Variable).name;
  }
}

/** The data a weight's variable holds now (tfjs swaps it on every write). */
function dataOf(entry: StateTensor): unknown {
  return entry.owner.kind === 'weight' ? entry.owner.variable.read().dataId : undefined;
}

function slotVariable(model: tfjs.LayersModel, entry: StateTensor): tfjs.Variable | undefined {
  if (entry.owner.kind !== 'slot') return undefined;
  const slots = (model.optimizer as unknown as Fields)[entry.owner.field] as ({ variable: tfjs.Variable } | undefined)[];
  return slots[entry.owner.index]?.variable;
}

/** The value a state tensor starts from: the variable itself (not copied), or zeros for an optimizer slot tfjs has not made yet. */
function initialValue(tf: Tf, model: tfjs.LayersModel, entry: StateTensor): tfjs.Tensor {
  const { owner } = entry;
  if (owner.kind === 'weight') return owner.variable.read();
  const optimizer = model.optimizer as unknown as Fields;
  if (owner.kind === 'scalar') return optimizer[owner.field] as tfjs.Variable;
  return slotVariable(model, entry) ?? tf.zeros([...entry.shape]);
}
