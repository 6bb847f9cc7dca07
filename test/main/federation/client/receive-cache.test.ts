// Tests (real sockets on 127.0.0.1, the reference aggregator): receiving with the party's object cache:
// repeated objects are not pulled, a damaged held copy never passes, the cache stays bounded, the server frees what was not pulled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NamedArray } from '../../../../main/engine/weights.js';
import { FleetClient } from '../../../../main/federation/client/fleet-client.js';
import { ObjectCache } from '../../../../main/federation/client/object-cache.js';
import { confirmReceived, receiveMessage, type Received } from '../../../../main/federation/client/receive.js';
import { sendInstructions } from '../../../../main/federation/server/instructions.js';
import { evaluateContent, trainContent } from '../../../../main/federation/server/round-content.js';
import type { FleetTransport } from '../../../../main/federation/transport/fleet-transport.js';
import { objectId } from '../../../../main/federation/wire/objects/object-bytes.js';
import { fleetRpcs } from '../../../../main/federation/wire/proto/fleet-rpcs.js';
import type { ObjectTree } from '../../../../main/federation/wire/proto/record-types.js';
import type { ArrayRecord, RecordDict } from '../../../../main/federation/wire/records/model.js';
import { FakeNode } from '../server/fake-node.js';
import { startHarness, type Harness } from '../server/harness.js';

const SETTINGS = { localEpochs: 1, lr: 0.01, batchSize: 32 };
const MAX_MESSAGE_BYTES = 1 << 24;

const weight = (name: string, shape: number[], seed: number): NamedArray => {
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed * 1000 + i));
  return { name, shape, dtype: 'float32', data };
};
/** The global model FedAvg sends in an evaluate and again in the next round's train: its chunks are 1,152 down to 136 bytes. */
const GLOBAL = [
  weight('dense/kernel', [4, 64], 1),
  weight('dense/bias', [64], 2),
  weight('dense_1/kernel', [64, 2], 3),
  weight('dense_1/bias', [2], 4),
];

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

/** A joined node whose transport notes the object id of every PullObject it carries. */
interface RecordingNode {
  nodeId: bigint;
  client: FleetClient;
  pulled: string[];
}

async function joinRecording(kind: 'grpc' | 'rest'): Promise<RecordingNode> {
  const node = await FakeNode.connect(kind, harness.addresses[kind]!);
  harness.nodes.push(node);
  await node.join();
  const pulled: string[] = [];
  const inner = node.transport;
  const recording: FleetTransport = {
    kind: inner.kind,
    close: () => {},
    call: (rpc, request, options) => {
      if (rpc === 'PullObject') pulled.push(fleetRpcs.PullObject.request.decode(request).objectId);
      return inner.call(rpc, request, options);
    },
  };
  return { nodeId: node.nodeId, client: new FleetClient(recording), pulled };
}

interface Delivered {
  received: Received;
  tree: ObjectTree;
  /** Object ids this message's receipt pulled, in order. */
  pulledIds: string[];
}

/** The aggregator sends `content`; the node pulls, receives (through `cache`) and confirms it, as the party does. */
async function deliver(
  node: RecordingNode,
  content: RecordDict,
  messageType: string,
  round: number,
  cache: ObjectCache,
): Promise<Delivered> {
  const { state } = harness.aggregator;
  const signal = new AbortController().signal;
  sendInstructions(state, [node.nodeId], content, messageType, round);
  const pulled = await node.client.pullMessages(node.nodeId);
  const [proto, tree] = [pulled.messagesList[0]!, pulled.messageObjectTrees[0]!];
  const before = node.pulled.length;
  const limits = { bytes: MAX_MESSAGE_BYTES, objects: 1000, objectBytes: MAX_MESSAGE_BYTES };
  const received = await receiveMessage(node.client, node.nodeId, proto, tree, { signal, limits, cache });
  await confirmReceived(node.client, node.nodeId, state.runId, proto.metadata!.messageId, signal);
  return { received, tree, pulledIds: node.pulled.slice(before) };
}

function idsOf(tree: ObjectTree): string[] {
  return [...new Set([tree.objectId, ...tree.children.flatMap(idsOf)])];
}

/** The one ArrayRecord's arrays as plain numbers, to compare with GLOBAL. */
function arraysOf(received: Received): [string, number[], number[]][] {
  const record = received.message.content!.get('arrays') as ArrayRecord;
  return [...record.items].map(([name, array]) => [name, array.shape, [...array.data].map(Number)]);
}

const expectedArrays = GLOBAL.map((w): [string, number[], number[]] => [w.name, w.shape, [...w.data]]);

describe('receiving with the object cache', () => {
  it.each(['grpc', 'rest'] as const)(
    'over %s, pulls only the objects of the next train that the evaluate before it did not carry',
    async (kind) => {
      const node = await joinRecording(kind);
      const cache = new ObjectCache({ maxBytes: MAX_MESSAGE_BYTES });
      const evaluate = await deliver(node, evaluateContent(GLOBAL, 1, SETTINGS), 'evaluate', 1, cache);
      expect(evaluate.pulledIds.sort()).toEqual(idsOf(evaluate.tree).sort());
      expect(evaluate.received.cachedBytes).toBe(0);

      const train = await deliver(node, trainContent(GLOBAL, 2, SETTINGS), 'train', 2, cache);
      const [message, recordDict] = [train.tree, train.tree.children[0]!];
      const config = recordDict.children.find((child) => !idsOf(evaluate.tree).includes(child.objectId))!;
      // Message, RecordDict and the round's ConfigRecord are new; the ArrayRecord, Arrays and ArrayChunks are the evaluate's.
      expect(train.pulledIds.sort()).toEqual([message.objectId, recordDict.objectId, config.objectId].sort());
      const held = idsOf(train.tree).filter((id) => !train.pulledIds.includes(id));
      expect(held).toHaveLength(1 + 2 * GLOBAL.length);
      expect(train.received.cachedBytes).toBe(held.reduce((sum, id) => sum + cache.get(id)!.byteLength, 0));
      expect(train.received.refetched).toBe(false);
      expect(arraysOf(train.received)).toEqual(expectedArrays);
      // As Flower's SuperLink: the confirm frees the whole message, the objects this node never pulled included.
      expect(idsOf(train.tree).filter((id) => harness.aggregator.state.store.has(id))).toEqual([]);
    },
  );

  it('lets no damaged held copy through: inflate refuses it, and the message is pulled whole from the server', async () => {
    const node = await joinRecording('grpc');
    const cache = new ObjectCache({ maxBytes: MAX_MESSAGE_BYTES });
    const evaluate = await deliver(node, evaluateContent(GLOBAL, 1, SETTINGS), 'evaluate', 1, cache);
    const biggest = idsOf(evaluate.tree).sort((a, b) => cache.get(b)!.byteLength - cache.get(a)!.byteLength)[0]!;
    const damaged = cache.get(biggest)!;
    damaged[damaged.length - 1]! ^= 0xff; // the held copy, changed in memory after it was checked

    const train = await deliver(node, trainContent(GLOBAL, 2, SETTINGS), 'train', 2, cache);
    expect(train.received.refetched).toBe(true);
    expect(train.pulledIds.filter((id) => id === biggest)).toEqual([biggest]);
    expect(train.received.cachedBytes).toBe(0);
    expect(arraysOf(train.received)).toEqual(expectedArrays);
    expect(objectId(cache.get(biggest)!)).toBe(biggest); // the cache now holds the server's bytes
  });

  it('stays within its byte bound: what did not fit is pulled again', async () => {
    const node = await joinRecording('rest');
    const cache = new ObjectCache({ maxBytes: 1000 });
    const evaluate = await deliver(node, evaluateContent(GLOBAL, 1, SETTINGS), 'evaluate', 1, cache);
    expect(cache.stats().bytes).toBeLessThanOrEqual(1000);
    const notHeld = idsOf(evaluate.tree).filter((id) => !cache.get(id));
    expect(notHeld.length).toBeGreaterThan(0); // the 1,152-byte kernel chunk at least

    const train = await deliver(node, trainContent(GLOBAL, 2, SETTINGS), 'train', 2, cache);
    for (const id of notHeld.filter((id) => idsOf(train.tree).includes(id))) expect(train.pulledIds).toContain(id);
    expect(train.received.cachedBytes).toBeGreaterThan(0);
    expect(train.received.cachedBytes).toBeLessThanOrEqual(1000);
    expect(cache.stats()).toMatchObject({ messages: 1 });
    expect(cache.stats().bytes).toBeLessThanOrEqual(1000);
    expect(arraysOf(train.received)).toEqual(expectedArrays);
  });
});
