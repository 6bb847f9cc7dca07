// Runs in the training thread on the tensorflow backend: one training step of a tfjs LayersModel (forward, loss, backward, optimizer) as one TensorFlow graph.
import type * as tfjs from '@tensorflow/tfjs';
import { DT_FLOAT, DT_INT32, GraphBuilder, attr } from './graph-builder.js';
import type { GraphDefMsg } from './proto.js';
import { UnsupportedLayer, config } from './emitter.js';
import type { EmitContext, Emitted, Emitter, Layer, LayerVariable } from './emitter.js';
import { batchNormalization } from './batch-norm.js';
import { conv2d, dense, depthwiseConv2d } from './layers-core.js';
import { activation, addLayer, dropout, flatten, globalAveragePooling2d, pooling2d, zeroPadding2d } from './layers-shape.js';
import { lossOps } from './loss.js';
import { optimizerPlan } from './optimizers.js';
import { addN } from './ops.js';
import { accuracyIndex } from '../train/batch-tensors.js';

/** The layers the graph step covers, by tfjs class name. */
const EMITTERS: Record<string, Emitter> = {
  Dense: dense,
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  BatchNormalization: batchNormalization,
  Activation: activation,
  ReLU: activation,
  Flatten: flatten,
  Add: addLayer,
  ZeroPadding2D: zeroPadding2d,
  MaxPooling2D: pooling2d,
  AveragePooling2D: pooling2d,
  GlobalAveragePooling2D: globalAveragePooling2d,
  Dropout: dropout,
};

/** A tensor the step reads and, for state, replaces: `input` is the placeholder, `output` the new value (null: it stays). */
export interface StateTensor {
  input: string;
  output: string | null;
  /** Where the value lives in tfjs: a layer weight, an optimizer slot of a weight, or an optimizer scalar field. */
  owner:
    | { kind: 'weight'; variable: LayerVariable }
    | { kind: 'slot'; field: string; suffix: string; index: number }
    | { kind: 'scalar'; field: string };
  shape: readonly number[];
}

export interface TrainGraph {
  graphDef: GraphDefMsg;
  x: string;
  y: string;
  learningRate: string;
  /** int32 [2], advanced by the step itself; present when a layer draws random numbers (Dropout). */
  seed: { input: string; output: string } | null;
  state: StateTensor[];
  loss: string;
  accuracy: string | null;
}

interface ModelInternals {
  collectedTrainableWeights?: LayerVariable[];
}

/** Builds the step's graph, or throws UnsupportedLayer saying what of the model it does not cover. */
export function buildTrainGraph(model: tfjs.LayersModel): TrainGraph {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new UnsupportedLayer('a model with several inputs or outputs');
  if (typeof model.loss !== 'string') throw new UnsupportedLayer('a loss that is not one of the named ones');
  const g = new GraphBuilder();
  const inputShape = model.inputs[0]!.shape;
  const x = g.placeholder('x', DT_FLOAT, inputShape);
  const y = g.placeholder('y', DT_FLOAT, model.outputs[0]!.shape);
  const learningRate = g.placeholder('learning_rate', DT_FLOAT, []);
  const internals = model as unknown as ModelInternals;
  const trained = new Set(internals.collectedTrainableWeights ?? model.trainableWeights);
  const builder = new StepBuilder(g, trained);
  const output = builder.forward(model, x);
  // The trainer reads the loss and accuracy alone (batch-tensors.ts): other metrics are not computed.
  const { loss, dOutput, accuracy } = lossOps(g, model.loss, accuracyIndex(model) >= 0, output, y);
  builder.backward(model.outputs[0]!, dOutput);
  const state = builder.state(optimizerPlan(model.optimizer), learningRate, [...trained]);
  const seed = builder.seedState();
  const outputs = { loss: g.named('loss', loss), accuracy: accuracy === null ? null : g.named('accuracy', accuracy) };
  // Serialised last: every node above is in it.
  return { x, y, learningRate, seed, state, ...outputs, graphDef: g.toGraphDef() };
}

type Symbolic = tfjs.SymbolicTensor;

/** The forward pass layer by layer, then the backward pass in reverse, collecting gradients and state updates. */
class StepBuilder {
  readonly #tensors = new Map<number, string>();
  readonly #needsGradient = new Map<number, boolean>();
  readonly #emitted: { layer: Layer; inputs: Symbolic[]; output: Symbolic; emitted: Emitted }[] = [];
  readonly #weights = new Map<LayerVariable, string>();
  /** Every gradient reaching a weight (a weight two layers share gets both). */
  readonly #gradients = new Map<LayerVariable, string[]>();
  readonly #updates = new Map<LayerVariable, string>();
  readonly #seed: { input: string; draws: number } = { input: '', draws: 0 };
  readonly #ctx: EmitContext;

  constructor(
    private readonly g: GraphBuilder,
    private readonly trained: ReadonlySet<LayerVariable>,
  ) {
    this.#ctx = {
      g,
      weight: (variable) => this.#weight(variable),
      trains: (variable) => trained.has(variable),
      gradient: (variable, tensor) => this.#gradients.set(variable, [...(this.#gradients.get(variable) ?? []), tensor]),
      update: (variable, tensor) => this.#updates.set(variable, tensor),
      seed: () => this.#drawSeed(),
    };
  }

  forward(model: tfjs.LayersModel, x: string): string {
    this.#tensors.set(model.inputs[0]!.id, x);
    this.#needsGradient.set(model.inputs[0]!.id, false);
    return this.#visit(model.outputs[0]!);
  }

  backward(output: Symbolic, dOutput: string): void {
    const pending = new Map<number, string[]>([[output.id, [dOutput]]]);
    for (const { layer, inputs, output: out, emitted } of [...this.#emitted].reverse()) {
      const terms = pending.get(out.id);
      if (terms === undefined) continue;
      const needed = inputs.map((input) => this.#needsGradient.get(input.id) === true);
      const dInputs = this.g.scoped(`${layer.name}_grad`, () => emitted.backward(addN(this.g, terms), needed));
      inputs.forEach((input, i) => {
        const d = dInputs[i];
        if (needed[i] && d) pending.set(input.id, [...(pending.get(input.id) ?? []), d]);
      });
    }
  }

  /** Every weight, slot and scalar the step reads, with the new values of those it changes. */
  state(plan: ReturnType<typeof optimizerPlan>, learningRate: string, trainedOrder: readonly LayerVariable[]): StateTensor[] {
    const { g } = this;
    const state: StateTensor[] = [];
    const scalars = plan.scalars.map((field) => g.placeholder(`opt/${field}`, DT_FLOAT, []));
    for (const [variable, input] of this.#weights) {
      const index = trainedOrder.indexOf(variable);
      const terms = this.#gradients.get(variable);
      const gradient = terms && addN(g, terms);
      let output = this.#updates.get(variable) ?? null;
      if (index >= 0 && gradient !== undefined) {
        const slotInputs = plan.slots.map((slot) => g.placeholder(`opt/${slot.suffix}_${index}`, DT_FLOAT, variable.shape));
        const [weight, ...slots] = g.scoped(`opt/${index}`, () => plan.update(g, learningRate, input, gradient, slotInputs, scalars));
        output = weight!;
        plan.slots.forEach((slot, k) => {
          state.push({
            input: slotInputs[k]!,
            output: g.named(`${slotInputs[k]}_out`, slots[k]!),
            owner: { kind: 'slot', ...slot, index },
            shape: variable.shape as number[],
          });
        });
      }
      state.push({
        input,
        output: output === null ? null : g.named(`${input}_out`, output),
        owner: { kind: 'weight', variable },
        shape: variable.shape as number[],
      });
    }
    const stepped = plan.step(g, scalars);
    plan.scalars.forEach((field, k) => {
      state.push({ input: scalars[k]!, output: g.named(`${scalars[k]}_out`, stepped[k]!), owner: { kind: 'scalar', field }, shape: [] });
    });
    return state;
  }

  seedState(): { input: string; output: string } | null {
    if (this.#seed.draws === 0) return null;
    const { g } = this;
    return {
      input: this.#seed.input,
      output: g.named('seed_out', g.op('AddV2', [this.#seed.input, g.int([0, 1])], { T: attr.type(DT_INT32) }), DT_INT32),
    };
  }

  #visit(tensor: Symbolic): string {
    const known = this.#tensors.get(tensor.id);
    if (known !== undefined) return known;
    const layer = tensor.sourceLayer as Layer;
    const node = (layer as unknown as { inboundNodes: { inputTensors: Symbolic[] }[] }).inboundNodes[tensor.nodeIndex]!;
    const inputs = node.inputTensors;
    const names = inputs.map((input) => this.#visit(input));
    const emitter = EMITTERS[layer.getClassName()];
    if (emitter === undefined) throw new UnsupportedLayer(`layer ${layer.getClassName()} (${layer.name})`);
    // The emitters read a layer's input shape from layer.input, which tfjs refuses for a layer applied more than once.
    if (layer.inboundNodes.length > 1) throw new UnsupportedLayer(`layer ${layer.name} applied more than once (shared)`);
    refuseExtras(layer);
    const emitted = this.g.scoped(layer.name, () => emitter(this.#ctx, layer, names));
    const trains = layer.weights.some((weight) => this.trained.has(weight));
    this.#needsGradient.set(tensor.id, trains || inputs.some((input) => this.#needsGradient.get(input.id) === true));
    this.#emitted.push({ layer, inputs, output: tensor, emitted });
    this.#tensors.set(tensor.id, emitted.output);
    return emitted.output;
  }

  #weight(variable: LayerVariable): string {
    let input = this.#weights.get(variable);
    if (input === undefined) {
      input = this.g.placeholder(`w/${variable.name}`, DT_FLOAT, variable.shape);
      this.#weights.set(variable, input);
    }
    return input;
  }

  #drawSeed(): string {
    const { g } = this;
    if (this.#seed.draws === 0) this.#seed.input = g.placeholder('seed', DT_INT32, [2]);
    const k = this.#seed.draws++;
    return k === 0 ? this.#seed.input : g.op('AddV2', [this.#seed.input, g.int([k * 7919, 0])], { T: attr.type(DT_INT32) });
  }
}

/** Regularisers and constraints change the loss or the update; the graph step has neither. */
function refuseExtras(layer: Layer): void {
  for (const [key, value] of Object.entries(config(layer))) {
    if ((key.endsWith('Regularizer') || key.endsWith('Constraint')) && value != null) {
      throw new UnsupportedLayer(`${layer.getClassName()} ${layer.name} has a ${key}`);
    }
  }
}
