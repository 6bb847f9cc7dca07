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
 * own variables are stale between write-backs, so whoever reads the model calls writeBack() first.
 */
export class GraphStep {
  readonly #state: tfjs.Tensor[];
  /** Whether state[i] was made by this step (and is disposed when replaced), or is a tfjs variable. */
  readonly #owned: boolean[];
  readonly #inputInfos: { name: string; tfDtype: string }[];
  readonly #outputs: string[];
  #seed: tfjs.Tensor | null;
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
    this.#state = graph.state.map((entry) => initialValue(tf, model, entry));
    this.#owned = graph.state.map((entry, i) => entry.owner.kind === 'slot' && !this.#slotVariable(entry));
    this.#seed = graph.seed ? tf.tensor1d([seed, 0], 'int32') : null;
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

  /** One training step on a batch; the caller keeps xs and ys (and disposes them) and the returned tensors. */
  run(xs: tfjs.Tensor, ys: tfjs.Tensor): StepTensors {
    if (this.#disposed) throw new Error('the graph step was disposed');
    const inputs = [xs, ys, this.#rate(), ...(this.#seed ? [this.#seed] : []), ...this.#state];
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
      if (this.#owned[i]) this.#state[i]!.dispose();
      this.#state[i] = outputs[k++]!;
      this.#owned[i] = true;
    });
    this.#unwritten++;
    return { loss, accuracy };
  }

  /** Makes the model's weights, moving statistics and optimizer state the step's current values (no copy: they share them). */
  writeBack(): void {
    if (this.#unwritten === 0) return;
    const optimizer = this.model.optimizer as unknown as Fields;
    this.graph.state.forEach((entry, i) => {
      const value = this.#state[i]!;
      const { owner } = entry;
      if (!entry.output) return;
      if (owner.kind === 'weight') owner.variable.write(value);
      else if (owner.kind === 'scalar') (optimizer[owner.field] as tfjs.Variable).assign(value);
      else {
        const slots = optimizer[owner.field] as { originalName: string; variable: tfjs.Variable }[];
        const slot = slots[owner.index];
        if (slot) slot.variable.assign(value);
        else slots[owner.index] = { originalName: `${this.#trainedName(owner.index)}/${owner.suffix}`, variable: value.variable(false) };
      }
    });
    optimizer['iterations_'] = (optimizer['iterations_'] as number) + this.#unwritten;
    this.#unwritten = 0;
  }

  /** Writes back, then frees the session and every tensor the step owns. */
  dispose(): void {
    if (this.#disposed) return;
    this.writeBack();
    this.#disposed = true;
    this.#state.forEach((tensor, i) => this.#owned[i] && tensor.dispose());
    this.#seed?.dispose();
    this.#learningRate?.tensor.dispose();
    (this.tf.backend() as unknown as NodeBackend).deleteSavedModel(this.session);
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

  #slotVariable(entry: StateTensor): tfjs.Variable | undefined {
    if (entry.owner.kind !== 'slot') return undefined;
    const slots = (this.model.optimizer as unknown as Fields)[entry.owner.field] as ({ variable: tfjs.Variable } | undefined)[];
    return slots[entry.owner.index]?.variable;
  }

  #trainedName(index: number): string {
    const trained = (this.model as unknown as { collectedTrainableWeights?: LayerVariable[] }).collectedTrainableWeights ?? this.model.trainableWeights;
    return trained[index]!.read().name;
  }
}

/** The value a state tensor starts from: the variable itself (not copied), or zeros for an optimizer slot tfjs has not made yet. */
function initialValue(tf: Tf, model: tfjs.LayersModel, entry: StateTensor): tfjs.Tensor {
  const { owner } = entry;
  if (owner.kind === 'weight') return owner.variable.read();
  const optimizer = model.optimizer as unknown as Fields;
  if (owner.kind === 'scalar') return optimizer[owner.field] as tfjs.Variable;
  const slot = (optimizer[owner.field] as ({ variable: tfjs.Variable } | undefined)[])[owner.index];
  return slot?.variable ?? tf.zeros(entry.shape);
}
