// Tests (Node): Arrays from Flower's compat layer (legacy strategies) carry dtype "" and shape []: the .npy header says both.
import { describe, expect, it } from 'vitest';
import {
  WireError,
  configRecord,
  encodeNpy,
  inflateMessage,
  type AnyNdArray,
  type ArrayRecord,
} from '../../../../main/federation/wire/index.js';
import type { ObjectSink } from '../../../../main/federation/wire/objects/object-sink.js';
import { pythonJson } from '../../../../main/federation/wire/objects/python-json.js';
import type { ObjectTree } from '../../../../main/federation/wire/proto/record-types.js';
import { configRecordBody } from '../../../../main/federation/wire/records/record-bodies.js';
import { craftMessage, fetchFrom, npyFile } from './craft.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const weights: AnyNdArray[] = [
  { dtype: 'float32', shape: [1, 3], data: new Float32Array([1.5, -2, 3.25]) },
  { dtype: 'int64', shape: [1], data: new BigInt64Array([7n]) },
];

/**
 * Ids Flower 1.29.0 computed for parameters_to_arrayrecord(ndarrays_to_parameters(weights), keep_input=True):
 * its Arrays and the ArrayRecord over them (checked once with the framework-1.29.0 tag, outside this repository).
 */
const FLOWER = {
  arrays: [
    '9563d5df3203dfce13c4880ad44b23ad1e1bb6ad1f717c82e742bf876bf1519f',
    'a19dd8865b9ec54519f25e7b1064480e3e08aa98977265c15da94769842ff273',
  ],
  arrayRecord: 'ccbb9c1fafe62146044a3a6b361d91d5795e750ead29db659b541ccaff1a715f',
};

/** An Array as the compat layer writes it: the whole .npy in one chunk, under a body that records neither dtype nor shape. */
function legacyArray(
  sink: ObjectSink,
  npy: Uint8Array,
  declared: { dtype: string; shape: number[] } = { dtype: '', shape: [] },
): ObjectTree {
  const chunk = sink.add('ArrayChunk', [], npy);
  return sink.add('Array', [chunk], utf8(pythonJson({ ...declared, stype: 'numpy.ndarray', arraychunk_ids: [0] })));
}

/** RecordDict {"fitins.parameters": ArrayRecord {"0": ..., "1": ...}, "fitins.config": {}} as Flower's FitIns becomes one. */
function fitins(arrays: (sink: ObjectSink) => ObjectTree[]) {
  let record: ObjectTree | undefined;
  const crafted = craftMessage((sink) => {
    const children = arrays(sink);
    record = sink.add('ArrayRecord', children, utf8(pythonJson(new Map(children.map((child, index) => [String(index), child.objectId])))));
    const config = sink.add('ConfigRecord', [], configRecordBody(configRecord({})));
    return [
      sink.add(
        'RecordDict',
        [record, config],
        utf8(pythonJson({ 'fitins.parameters': record.objectId, 'fitins.config': config.objectId })),
      ),
    ];
  });
  return { crafted, record: record! };
}

const inflate = ({ proto, tree, objects }: ReturnType<typeof fitins>['crafted']) => inflateMessage(proto, tree, fetchFrom(objects));

describe('legacy Arrays (dtype "", shape [])', () => {
  it('are the objects Flower writes, and inflate with the dtype and shape of their .npy header', async () => {
    const { crafted, record } = fitins((sink) => weights.map((array) => legacyArray(sink, encodeNpy(array))));
    expect(record.children.map((child) => child.objectId)).toEqual(FLOWER.arrays);
    expect(record.objectId).toBe(FLOWER.arrayRecord);
    const arrays = ((await inflate(crafted)).content!.get('fitins.parameters') as ArrayRecord).items;
    expect([...arrays.keys()]).toEqual(['0', '1']);
    expect(arrays.get('0')).toEqual(weights[0]);
    expect(arrays.get('1')).toEqual(weights[1]);
  });

  it('still get every .npy check: a pickle is refused', async () => {
    const pickle = npyFile("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(8));
    await expect(inflate(fitins((sink) => [legacyArray(sink, pickle)]).crafted)).rejects.toThrow(
      /npy dtype \|O holds Python objects \(a pickle\); refused/,
    );
  });

  it('a shape without a dtype is refused', async () => {
    const crafted = fitins((sink) => [legacyArray(sink, encodeNpy(weights[0]!), { dtype: '', shape: [1, 3] })]).crafted;
    await expect(inflate(crafted)).rejects.toThrow(
      new WireError(
        `array "0" of record "fitins.parameters" (object ${crafted.tree.children[0]!.children[0]!.objectId}): Array gives shape [1, 3] but no dtype`,
      ),
    );
  });

  it('a dtype and shape that are given must still match the .npy: shape [] is a 0-d array, not "unknown"', async () => {
    const crafted = fitins((sink) => [legacyArray(sink, encodeNpy(weights[0]!), { dtype: 'float32', shape: [] })]).crafted;
    await expect(inflate(crafted)).rejects.toThrow(/Array says shape \[\] but its npy holds \[1, 3\]/);
  });
});
