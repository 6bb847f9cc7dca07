// Tests (Node): a message whose objects were tampered with, malformed or oversized is refused, naming what is at fault.
import { describe, expect, it } from 'vitest';
import {
  WireError,
  deflateMessage,
  inflateMessage,
  parseObject,
  wireCodecs,
  type ObjectTree,
} from '../../../../main/federation/wire/index.js';
import { craftArrayMessage, craftMessage, fetchFrom, named, npyFile, rawArray, type Crafted } from './craft.js';
import { errorMessage, scenarioMetadata, trainMessage } from './flower-scenario.js';

const inflate = (crafted: Crafted, maxBytes?: number, maxObjects?: number) =>
  inflateMessage(crafted.proto, crafted.tree, fetchFrom(crafted.objects), { maxBytes, maxObjects });
const honest = deflateMessage(trainMessage());
const honestCrafted: Crafted = { proto: honest.message, tree: honest.tree, objects: honest.objects };
const f32 = (values: number[]) => new Uint8Array(new Float32Array(values).buffer);
const goodNpy = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32([1, 2]));
const arrayBody = (overrides: object = {}) => ({ dtype: 'float32', shape: [2], stype: 'numpy.ndarray', arraychunk_ids: [0], ...overrides });

async function refusal(crafted: Crafted, maxBytes?: number, maxObjects?: number): Promise<string> {
  const error = await inflate(crafted, maxBytes, maxObjects).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WireError);
  return (error as WireError).message;
}

describe('inflateMessage refuses objects that are not what they claim', () => {
  it('an object whose bytes do not hash to its id, naming the id', async () => {
    const objects = new Map(honest.objects);
    const [id, bytes] = [...objects].find(([, content]) => content.length < 200)!;
    objects.set(
      id,
      Uint8Array.from(bytes, (byte, i) => (i === bytes.length - 1 ? byte ^ 1 : byte)),
    );
    expect(await refusal({ ...honestCrafted, objects })).toMatch(
      new RegExp(`^object ${id}: its \\d+ bytes hash to [0-9a-f]{64}; refused$`),
    );
  });

  it('a tree rooted elsewhere than the message id, and a tree whose children differ from a header', async () => {
    expect(await refusal({ ...honestCrafted, proto: { metadata: { ...scenarioMetadata, messageId: 'f'.repeat(64) } } })).toMatch(
      /^message f{64}: its object tree is rooted at /,
    );
    const pruned = { ...honest.tree, children: [{ ...honest.tree.children[0]!, children: honest.tree.children[0]!.children.slice(1) }] };
    expect(await refusal({ ...honestCrafted, tree: pruned })).toMatch(
      /^object [0-9a-f]{64}: its header lists children \[.*\] but the object tree gives \[/,
    );
  });

  it('a tree with a bad id or too deep to be a message, before fetching anything', async () => {
    const bad = { objectId: honest.messageId, children: [{ objectId: 'NOT-AN-ID', children: [] }] };
    expect(await refusal({ ...honestCrafted, tree: bad })).toMatch(/object tree: "NOT-AN-ID" is not an object id/);
    let deep: ObjectTree = { objectId: 'a'.repeat(64), children: [] };
    for (let level = 0; level < 5; level += 1) deep = { objectId: 'a'.repeat(64), children: [deep] };
    expect(
      await refusal({
        ...honestCrafted,
        proto: { metadata: { ...scenarioMetadata, messageId: 'a'.repeat(64) } },
        tree: deep,
        objects: new Map(),
      }),
    ).toMatch(/lies deeper than 5 levels/);
  });

  it('arrays declaring more than the ceiling, naming the largest, before any chunk is pulled', async () => {
    const fetched: string[] = [];
    const fetch = (id: string) => (fetched.push(id), honest.objects.get(id)!);
    const error = await inflateMessage(honest.message, honest.tree, fetch, { maxBytes: 1_000_000 }).catch((caught: unknown) => caught);
    expect((error as WireError).message).toMatch(
      /^the message's arrays declare \d+ bytes, more than the 1000000 it may hold \(the largest: array "big", float32 \[4000000\], 16000000 bytes\); none of their data was pulled$/,
    );
    expect(fetched.filter((id) => parseObject(id, honest.objects.get(id)!).type === 'ArrayChunk')).toEqual([]);
  });

  it("objects that add up past the ceiling where the arrays do not declare their size (Flower's legacy arrays)", async () => {
    const legacy = craftArrayMessage((sink) =>
      rawArray(sink, arrayBody({ dtype: '', shape: [] }), [
        npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (50000,), }", f32(new Array(50_000).fill(0))),
      ]),
    );
    expect(await refusal(legacy, 100_000)).toMatch(/the message's objects exceed the ceiling of 100000 bytes/);
  });

  it('a tree of more objects than a message may hold, before fetching anything', async () => {
    const count = new Set(honest.objects.keys()).size;
    expect((await inflate(honestCrafted, undefined, count)).content).toBeDefined();
    const fetched: string[] = [];
    const fetch = (id: string) => (fetched.push(id), honest.objects.get(id)!);
    const error = await inflateMessage(honest.message, honest.tree, fetch, { maxObjects: count - 1 }).catch((caught: Error) => caught);
    expect((error as Error).message).toBe(`object tree: more than ${count - 1} objects, more than a message can hold`);
    expect(fetched).toEqual([]);
  });

  it('an object that is not array data yet weighs over 1 MiB', async () => {
    const heavy = craftMessage((sink) => [
      named(sink, 'RecordDict', [['config', sink.add('ConfigRecord', [], new Uint8Array(1024 * 1024))]]),
    ]);
    expect(await refusal(heavy)).toMatch(
      /^object [0-9a-f]{64}: a ConfigRecord of 10485\d\d bytes; only array data \(ArrayChunk\) is ever over 1048576$/,
    );
  });

  it('metadata past any honest length, and an error reason longer than a page', async () => {
    const named300 = wireCodecs.Message.encode({ metadata: { ...scenarioMetadata, messageType: 'x'.repeat(300) } });
    const typed300 = craftMessage((sink) => [named(sink, 'RecordDict', [])], named300);
    expect(await refusal(typed300)).toMatch(/^message [0-9a-f]{64}: message_type of 300 characters \(at most 256\)$/);
    const grouped = wireCodecs.Message.encode({ metadata: { ...scenarioMetadata, groupId: '7'.repeat(257) } });
    expect(await refusal(craftMessage((sink) => [named(sink, 'RecordDict', [])], grouped))).toMatch(/group_id of 257 characters/);
    const rambling = wireCodecs.Message.encode({ metadata: scenarioMetadata, error: { code: 2n, reason: 'why '.repeat(1025) } });
    expect(await refusal(craftMessage(() => [], rambling))).toMatch(/an error reason of 4100 characters \(at most 4096\)/);
  });

  it('a record key past any honest length, and a setting that is data', async () => {
    const body = (items: { key: string; value: object }[]) => wireCodecs.ConfigRecord.encode({ items } as never);
    const record = (items: { key: string; value: object }[]) =>
      craftMessage((sink) => [named(sink, 'RecordDict', [['config', sink.add('ConfigRecord', [], body(items))]])]);
    const longKey = await refusal(record([{ key: 'k'.repeat(257), value: { double: 1 } }]));
    expect(longKey).toMatch(/record "config" \(object [0-9a-f]{64}\): a key of 257 characters \(at most 256\)/);
    const blob = await refusal(record([{ key: 'blob', value: { bytes: new Uint8Array(65 * 1024) } }]));
    expect(blob).toMatch(/key "blob": a value 66560 long; a setting is at most 65536 characters or bytes/);
    expect(await refusal(record([{ key: 'names', value: { stringList: { vals: ['ok', 's'.repeat(70_000)] } } }]))).toMatch(
      /key "names": a value 70000 long/,
    );
  });

  it('a message that carries content inside itself, or both an error and children', async () => {
    const withContent = craftMessage(() => [], wireCodecs.Message.encode({ metadata: { runId: 1n }, content: { items: [] } }));
    expect(await refusal(withContent)).toMatch(/content inside the Message object/);
    const both = craftMessage(
      (sink) => [named(sink, 'RecordDict', [])],
      wireCodecs.Message.encode({ metadata: { runId: 1n }, error: { code: 1n } }),
    );
    expect(await refusal(both)).toMatch(/carries an error and children/);
    expect(await refusal(craftMessage(() => []))).toMatch(/has 0 children; one RecordDict was expected/);
  });

  it('a RecordDict that names an object it does not hold, or holds a non-record', async () => {
    const stray = craftMessage((sink) => {
      const record = named(sink, 'ArrayRecord', []);
      const dict = sink.add('RecordDict', [record], new TextEncoder().encode(`{"arrays": "${'e'.repeat(64)}"}`));
      return [dict];
    });
    expect(await refusal(stray)).toMatch(/"arrays" names e{64}, which is not one of its children/);
    const notRecord = craftMessage((sink) => [named(sink, 'RecordDict', [['arrays', rawArray(sink, arrayBody(), [goodNpy])]])]);
    expect(await refusal(notRecord)).toMatch(/^record "arrays" \(object [0-9a-f]{64}\): type Array is not a record type$/);
  });

  it('a ConfigRecord item without a value, naming the key', async () => {
    const body = wireCodecs.ConfigRecord.encode({ items: [{ key: 'lr', value: { double: 0.1 } }] });
    const broken = craftMessage((sink) => [
      named(sink, 'RecordDict', [['config', sink.add('ConfigRecord', [], new Uint8Array([...body, 0x0a, 0x04, 0x0a, 0x02, 0x62, 0x73]))]]),
    ]);
    expect(await refusal(broken)).toMatch(/record "config" \(object [0-9a-f]{64}\): key "bs" has no value/);
  });
});

describe('inflateMessage refuses arrays it must not decode, naming the array', () => {
  const where = /^array "w" of record "arrays" \(object [0-9a-f]{64}\): /;

  it.each([
    [
      'a pickled object array',
      "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
      /npy dtype \|O holds Python objects \(a pickle\); refused/,
    ],
    [
      'a declared 2 GB array',
      "{'descr': '<f4', 'fortran_order': False, 'shape': (536870912,), }",
      /declares 2147483648 bytes, more than the ceiling of 1073741824/,
    ],
    ['a Fortran-order array', "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", /Fortran order/],
  ])('%s', async (_case, dict, message) => {
    const crafted = craftArrayMessage((sink) => rawArray(sink, arrayBody(), [npyFile(dict, f32([1, 2]))]));
    const text = await refusal(crafted);
    expect(text).toMatch(where);
    expect(text).toMatch(message);
  });

  it.each([
    [
      'a chunk index out of range',
      arrayBody({ arraychunk_ids: [0, 3] }),
      /chunk index 3 is out of range \(object [0-9a-f]{64} has 1 children\)/,
    ],
    ['a stype other than numpy', arrayBody({ stype: 'torch.Tensor' }), /stype "torch.Tensor" is not supported \(only numpy.ndarray\)/],
    ['a dtype the wire does not carry', arrayBody({ dtype: 'float16' }), /dtype "float16" is not supported/],
    ['a dtype the npy contradicts', arrayBody({ dtype: 'int32' }), /Array says dtype int32 but its npy holds float32/],
    ['a shape the npy contradicts', arrayBody({ shape: [1, 2] }), /Array says shape \[1, 2\] but its npy holds \[2\]/],
    ['a body with an unknown key', arrayBody({ pickle: true }), /body is not \{"dtype", "shape", "stype", "arraychunk_ids"\}/],
    ['a chunk the body never uses', arrayBody({ arraychunk_ids: [] }), /lists 1 chunks but its body uses 0/],
  ])('%s', async (_case, body, message) => {
    const text = await refusal(craftArrayMessage((sink) => rawArray(sink, body, [goodNpy])));
    expect(text).toMatch(where);
    expect(text).toMatch(message);
  });

  it('chunks that repeat past the ceiling, before assembling them', async () => {
    const repeated = craftArrayMessage((sink) =>
      rawArray(sink, arrayBody({ arraychunk_ids: new Array(2000).fill(0) }), [new Uint8Array(1_000_000)]),
    );
    expect(await refusal(repeated, 100_000_000)).toMatch(
      /its chunks add up to 2000000000 bytes, more than the 100000000 bytes left under the ceiling/,
    );
  });

  it('passes a transport failure through untouched', async () => {
    const { message, tree } = deflateMessage(errorMessage());
    const failure = new Error('UNAVAILABLE');
    await expect(inflateMessage(message, tree, () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
