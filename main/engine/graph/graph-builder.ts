// Runs in the training thread on the tensorflow backend: builds a TensorFlow GraphDef node by node (ops, attributes, constants, placeholders).
import { proto } from './proto.js';
import type { AttrValueMsg, GraphDefMsg, NodeDefMsg, TensorShapeMsg } from './proto.js';

/** TensorFlow's DataType enum values for the dtypes the training graph uses. */
export const DT_FLOAT = 1;
export const DT_INT32 = 3;

/** An attribute value, made by the `attr` helpers below. */
export type Attr = AttrValueMsg;

const attrValue = (): AttrValueMsg => new (proto().AttrValue)();

function shapeProto(dims: readonly (number | null)[]): TensorShapeMsg {
  const { TensorShape } = proto();
  const shape = new TensorShape();
  for (const size of dims) {
    const dim = new TensorShape.Dim();
    dim.setSize(size ?? -1);
    shape.addDim(dim);
  }
  return shape;
}

function withValue(set: (value: AttrValueMsg) => void): Attr {
  const value = attrValue();
  set(value);
  return value;
}

/** Attribute values by kind: a dtype, an int, a float, a bool, a string, a list of ints, a shape. */
export const attr = {
  type: (dtype: number): Attr => withValue((a) => a.setType(dtype)),
  int: (value: number): Attr => withValue((a) => a.setI(value)),
  float: (value: number): Attr => withValue((a) => a.setF(value)),
  bool: (value: boolean): Attr => withValue((a) => a.setB(value)),
  str: (value: string): Attr => withValue((a) => a.setS(new TextEncoder().encode(value))),
  ints: (values: readonly number[]): Attr =>
    withValue((a) => {
      const list = new (proto().AttrValue.ListValue)();
      list.setIList([...values]);
      a.setList(list);
    }),
  shape: (dims: readonly (number | null)[]): Attr => withValue((a) => a.setShape(shapeProto(dims))),
};

/** A dtype attribute for float32, the one every float op here takes. */
export const FLOAT: Attr = attr.type(DT_FLOAT);

/**
 * Nodes are named `scope/op_n`; a tensor is written as TensorFlow writes it, `node` (output 0) or `node:k`. Constants
 * with the same values share one node.
 */
export class GraphBuilder {
  readonly #nodes: NodeDefMsg[] = [];
  readonly #used = new Set<string>();
  readonly #constants = new Map<string, string>();
  #scope = '';

  /** Runs `build` with nodes named under `scope` (a layer's name), so a graph dump reads like the model. */
  scoped<T>(scope: string, build: () => T): T {
    const outer = this.#scope;
    this.#scope = sanitize(scope);
    try {
      return build();
    } finally {
      this.#scope = outer;
    }
  }

  placeholder(name: string, dtype: number, shape: readonly (number | null)[]): string {
    return this.#node('Placeholder', name, [], { dtype: attr.type(dtype), shape: attr.shape(shape) }, true);
  }

  /** Adds an op; returns its node name (its output 0). */
  op(type: string, inputs: readonly string[], attrs: Record<string, Attr> = {}): string {
    return this.#node(type, type, inputs, attrs, false);
  }

  /** Output k of a node. */
  out(node: string, k: number): string {
    return k === 0 ? node : `${node}:${k}`;
  }

  /** Output k of a node, usable as an op name once wrapped: TensorFlow needs an Identity to give it a name of its own. */
  named(name: string, tensor: string, dtype = DT_FLOAT): string {
    return this.#node('Identity', name, [tensor], { T: attr.type(dtype) }, true);
  }

  float(values: number | readonly number[], shape: readonly number[] = []): string {
    return this.#constant(DT_FLOAT, typeof values === 'number' ? [values] : values, shape);
  }

  int(values: number | readonly number[], shape?: readonly number[]): string {
    const list = typeof values === 'number' ? [values] : values;
    return this.#constant(DT_INT32, list, shape ?? (typeof values === 'number' ? [] : [list.length]));
  }

  toGraphDef(): GraphDefMsg {
    const { GraphDef, VersionDef } = proto();
    const graph = new GraphDef();
    for (const node of this.#nodes) graph.addNode(node);
    const versions = new VersionDef();
    // TensorFlow 2.x graphs: producer 1,205+ (TF 2.15+) knows every op used here.
    versions.setProducer(1205);
    graph.setVersions(versions);
    return graph;
  }

  #constant(dtype: number, values: readonly number[], shape: readonly number[]): string {
    const key = `${dtype}|${shape.join(',')}|${values.join(',')}`;
    const known = this.#constants.get(key);
    if (known !== undefined) return known;
    const tensor = new (proto().Tensor)();
    tensor.setDtype(dtype);
    tensor.setTensorShape(shapeProto(shape));
    if (dtype === DT_FLOAT) tensor.setFloatValList([...values]);
    else tensor.setIntValList([...values]);
    const value = attrValue();
    value.setTensor(tensor);
    const name = this.#node('Const', 'const', [], { dtype: attr.type(dtype), value }, true);
    this.#constants.set(key, name);
    return name;
  }

  #node(type: string, base: string, inputs: readonly string[], attrs: Record<string, Attr>, global: boolean): string {
    const name = this.#unique(global ? sanitize(base) : `${this.#scope ? `${this.#scope}/` : ''}${base}`);
    const node = new (proto().NodeDef)();
    node.setName(name);
    node.setOp(type);
    for (const input of inputs) node.addInput(input);
    const map = node.getAttrMap();
    for (const [key, value] of Object.entries(attrs)) map.set(key, value);
    this.#nodes.push(node);
    return name;
  }

  #unique(base: string): string {
    let name = base;
    for (let n = 1; this.#used.has(name); n++) name = `${base}_${n}`;
    this.#used.add(name);
    return name;
  }
}

/** TensorFlow node names: letters, digits, `_.-/`, not starting with `_` or `/`. */
function sanitize(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_.\-/]/g, '_');
  return /^[A-Za-z0-9.]/.test(clean) ? clean : `n${clean}`;
}
