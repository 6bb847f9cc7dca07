// Runs in the training thread on the tensorflow backend: what a layer's emitter gets and gives when the training step is built as one graph.
import type * as tfjs from '@tensorflow/tfjs';
import type { GraphBuilder } from './graph-builder.js';

export type Layer = tfjs.layers.Layer;
/** tfjs-layers' LayerVariable (not exported by name): a weight with its variable, read and written by the step's owner. */
export type LayerVariable = tfjs.LayerVariable;

/** Where a layer's emitter writes: the graph, its weights' tensors, and the gradients and new states it makes. */
export interface EmitContext {
  g: GraphBuilder;
  /** The tensor holding a weight's value at the start of the step (a graph input). */
  weight(variable: LayerVariable): string;
  /** Whether the step updates this weight: trainable, in a layer that is not frozen. */
  trains(variable: LayerVariable): boolean;
  /** Records d(loss)/d(weight); called only for weights the step trains. */
  gradient(variable: LayerVariable, tensor: string): void;
  /** Records a non-trainable weight's value after the step (BatchNorm's moving statistics). */
  update(variable: LayerVariable, tensor: string): void;
  /** A fresh [2] int32 seed for a stateless random op, different for every op and step. */
  seed(): string;
}

/** A layer's forward output, and its backward pass: given d(loss)/d(output), d(loss)/d(input) for each input (null where not needed). */
export interface Emitted {
  output: string;
  backward(dy: string, needed: readonly boolean[]): (string | null)[];
}

/** Emits a layer's forward op(s) on its input tensors; throws UnsupportedLayer for what it cannot express. */
export type Emitter = (ctx: EmitContext, layer: Layer, inputs: readonly string[]) => Emitted;

/** A layer, or a setting of one, that the graph step does not cover: the step falls back to tfjs's eager one, saying why. */
export class UnsupportedLayer extends Error {
  override readonly name = 'UnsupportedLayer';
}

/** The layer's serialised config (the same for built-ins and model.json layers). */
export function config(layer: Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

/** A property a tfjs layer keeps its weights or settings in (typed loosely: tfjs declares them protected). */
export function field<T>(layer: Layer, name: string): T {
  return (layer as unknown as Record<string, T>)[name]!;
}

/** Refuses a setting the emitter does not implement, naming the layer, the key and its value. */
export function refuseUnless(layer: Layer, key: string, ok: boolean, value: unknown): void {
  if (!ok) throw new UnsupportedLayer(`${layer.getClassName()} ${layer.name} has ${key} ${JSON.stringify(value)}`);
}
