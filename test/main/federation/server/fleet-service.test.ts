// Tests (real sockets on 127.0.0.1): the Fleet RPCs' answers and refusals, as Flower 1.29's SuperLink gives them, over gRPC and REST.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../../../../main/federation/transport/transport-error.js';
import { AggregatorConfigSchema } from '../../../../main/federation/server/config.js';
import { buildGlobalModel } from '../../../../main/federation/server/initial-model.js';
import { sendInstructions } from '../../../../main/federation/server/instructions.js';
import { messageLimits } from '../../../../main/federation/wire/limits.js';
import { buildObject, objectId } from '../../../../main/federation/wire/objects/object-bytes.js';
import type { ObjectTree } from '../../../../main/federation/wire/proto/record-types.js';
import { arrayRecord, configRecord, recordDict } from '../../../../main/federation/wire/records/model.js';
import { FakeNode } from './fake-node.js';
import { startHarness, type Harness } from './harness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

async function refusal(call: Promise<unknown>): Promise<TransportError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

/** The harness's global model's shapes (the same model built again). */
async function globalShapes(): Promise<number[][]> {
  const config = AggregatorConfigSchema.parse({ model: { builtin: 'mlp', input_shape: [4], classes: 2 }, insecure: true });
  const { model, weights } = await buildGlobalModel(config.model, '.');
  model.dispose();
  return weights.map((weight) => weight.shape);
}

async function joined(kind: 'grpc' | 'rest'): Promise<FakeNode> {
  const node = await FakeNode.connect(kind, harness.addresses[kind]!);
  harness.nodes.push(node);
  await node.join();
  return node;
}

describe('Fleet service', () => {
  it('over gRPC, refuses a request naming a node that is not the signing key\'s (Flower: UNAUTHENTICATED "Invalid node ID")', async () => {
    const [a, b] = [await joined('grpc'), await joined('grpc')];
    const error = await refusal(a.call('PullMessages', { node: { nodeId: b.nodeId } }));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.details).toMatch(/^Invalid node ID/);
    expect((await a.call('SendNodeHeartbeat', { node: { nodeId: a.nodeId }, heartbeatInterval: 30 })).success).toBe(true);
  });

  it('refuses a key registered twice, and heartbeat intervals outside 10..1800 s', async () => {
    const node = await joined('grpc');
    expect((await refusal(node.call('RegisterNode', { publicKey: node.identity.publicKeyPem }))).code).toBe('FAILED_PRECONDITION');
    const error = await refusal(node.call('SendNodeHeartbeat', { node: { nodeId: node.nodeId }, heartbeatInterval: 5 }));
    expect([error.code, error.details]).toEqual(['INVALID_ARGUMENT', 'Invalid heartbeat interval: 5 s is out of bounds [10, 1800]']);
  });

  it('serves one run, refuses other run ids (PERMISSION_DENIED) and has no FAB (NOT_FOUND)', async () => {
    const node = await joined('rest');
    const { runId } = harness.aggregator.state;
    const { run } = await node.call('GetRun', { node: { nodeId: node.nodeId }, runId });
    expect(run).toMatchObject({ runId, status: { status: 'running' }, fabHash: '' });
    expect((await refusal(node.call('GetRun', { node: { nodeId: node.nodeId }, runId: runId + 1n }))).code).toBe('HTTP 403');
    expect((await refusal(node.call('GetRun', { node: { nodeId: 12345n }, runId }))).details).toMatch(/not part of the federation/);
    expect((await refusal(node.call('GetFab', { node: { nodeId: node.nodeId }, hashStr: 'abc', runId }))).code).toBe('HTTP 404');
    expect((await node.call('SendNodeHeartbeat', { node: { nodeId: 12345n }, heartbeatInterval: 30 })).success).toBe(false);
  });

  it('stores a pushed object only under the id its bytes hash to', async () => {
    const node = await joined('grpc');
    const { runId, store } = harness.aggregator.state;
    const [good, other] = [buildObject('ArrayChunk', [], new Uint8Array([1, 2])), buildObject('ArrayChunk', [], new Uint8Array([3]))];
    store.preregister({ objectId: good.id, children: [] });
    const push = (content: Uint8Array) =>
      node.call('PushObject', { node: { nodeId: node.nodeId }, runId, objectId: good.id, objectContent: content });
    expect(await node.call('PullObject', { node: { nodeId: node.nodeId }, runId, objectId: good.id })).toMatchObject({
      objectFound: true,
      objectAvailable: false,
    });
    expect((await push(other.bytes)).stored).toBe(false);
    expect((await push(good.bytes)).stored).toBe(true);
    expect(await node.call('PullObject', { node: { nodeId: node.nodeId }, runId, objectId: good.id })).toMatchObject({
      objectAvailable: true,
      objectContent: good.bytes,
    });
    expect(await node.call('PullObject', { node: { nodeId: node.nodeId }, runId, objectId: other.id })).toMatchObject({
      objectFound: false,
    });
    // Bytes that hash to their id but are no object: Flower refuses them outright.
    const junk = new TextEncoder().encode('no header');
    const malformed = node.call('PushObject', { node: { nodeId: node.nodeId }, runId, objectId: objectId(junk), objectContent: junk });
    expect((await refusal(malformed)).code).toBe('FAILED_PRECONDITION');
    store.delete(good.id);
  });

  it('drops a reply to a message nobody waits for, and refuses a malformed one with the reason', async () => {
    const node = await joined('grpc');
    const { runId } = harness.aggregator.state;
    const stale = {
      metadata: {
        runId,
        messageId: 'a'.repeat(64),
        srcNodeId: 1n,
        dstNodeId: node.nodeId,
        replyToMessageId: '',
        groupId: '1',
        ttl: 600,
        messageType: 'train',
        createdAt: Date.now() / 1000,
      },
    };
    const late = await node.reply(stale, { code: 2n, reason: 'late' });
    expect([late.results.size, late.objectsToPush]).toEqual([0, []]);
    const message = {
      metadata: { ...stale.metadata, messageId: '', replyToMessageId: 'a'.repeat(64), srcNodeId: node.nodeId, dstNodeId: 7n },
    };
    const error = await refusal(
      node.call('PushMessages', { node: { nodeId: node.nodeId }, messagesList: [{ ...message, error: { code: 0n, reason: '' } }] }),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toMatch(/empty `metadata.message_id`.*`metadata.dst_node_id` is not 1/);
  });

  it('delivers each instruction once with its tree, and lets only its node confirm it', async () => {
    const [a, b] = [await joined('grpc'), await joined('rest')];
    const { state } = harness.aggregator;
    const content = new Map([['config', configRecord({ 'server-round': 1n })]]);
    const sent = [
      ...sendInstructions(state, [a.nodeId, b.nodeId], content, 'query', 1).keys(),
      ...sendInstructions(state, [a.nodeId], content, 'query', 2).keys(),
    ];
    const pulled = await a.call('PullMessages', { node: { nodeId: a.nodeId } });
    expect(pulled.messagesList).toHaveLength(1);
    const messageId = pulled.messagesList[0]!.metadata!.messageId;
    expect(pulled.messageObjectTrees[0]!.objectId).toBe(messageId);
    await b.call('ConfirmMessageReceived', { node: { nodeId: b.nodeId }, runId: state.runId, messageObjectId: messageId });
    expect(state.store.has(messageId)).toBe(true);
    await a.call('ConfirmMessageReceived', { node: { nodeId: a.nodeId }, runId: state.runId, messageObjectId: messageId });
    expect(state.store.has(messageId)).toBe(false);
    const second = await a.call('PullMessages', { node: { nodeId: a.nodeId } });
    expect(second.messagesList[0]!.metadata!.messageId).not.toBe(messageId);
    expect((await a.call('PullMessages', { node: { nodeId: a.nodeId } })).messagesList).toEqual([]);
    state.forget(sent);
    expect(state.store.stats().objects).toBe(0);
  });

  it.each(['grpc', 'rest'] as const)(
    "over %s, frees a confirmed message's objects whether or not the node pulled them (Flower: delete by reference count)",
    async (kind) => {
      const [a, b] = [await joined(kind), await joined(kind)];
      const { state } = harness.aggregator;
      const arrays = arrayRecord([['dense/kernel', { dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) }]]);
      const content = recordDict([
        ['arrays', arrays],
        ['config', configRecord({ 'server-round': 1n })],
      ]);
      const sent = sendInstructions(state, [a.nodeId, b.nodeId], content, 'train', 1);
      const idsOf = (tree: ObjectTree): string[] => [tree.objectId, ...tree.children.flatMap(idsOf)];
      const held = (ids: string[]) => ids.filter((id) => state.store.has(id));
      const pull = async (node: FakeNode) => (await node.call('PullMessages', { node: { nodeId: node.nodeId } })).messageObjectTrees[0]!;
      const confirm = (node: FakeNode, tree: ObjectTree) =>
        node.call('ConfirmMessageReceived', { node: { nodeId: node.nodeId }, runId: state.runId, messageObjectId: tree.objectId });
      const [treeA, treeB] = [await pull(a), await pull(b)];
      // a pulls its Message object only, b nothing at all (a party holding the rest from an earlier message).
      await a.call('PullObject', { node: { nodeId: a.nodeId }, runId: state.runId, objectId: treeA.objectId });
      await confirm(a, treeA);
      expect(held(idsOf(treeA))).toEqual(idsOf(treeB).slice(1)); // a's Message went; the content b's message shares stays
      await confirm(b, treeB);
      expect(held([...idsOf(treeA), ...idsOf(treeB)])).toEqual([]);
      state.forget(sent.keys()); // the phase's end finds nothing left to free, and no error
      expect(held([...sent.keys()])).toEqual([]);
    },
  );

  it.each(['grpc', 'rest'] as const)(
    'over %s, holds pushed objects to what a reply for the model needs; a call too large is refused unread',
    async (kind) => {
      const node = await joined(kind);
      const { runId, store } = harness.aggregator.state;
      const limits = messageLimits(await globalShapes());
      const objectId = 'c'.repeat(64);
      const push = (size: number) =>
        node.call('PushObject', { node: { nodeId: node.nodeId }, runId, objectId, objectContent: new Uint8Array(size) });
      const overCall = await refusal(push(2 * limits.objectBytes));
      expect(overCall.code).toBe(kind === 'grpc' ? 'RESOURCE_EXHAUSTED' : 'HTTP 413');
      const overObject = await refusal(push(limits.objectBytes + 1));
      expect(overObject.details).toBe(
        `object ${objectId} of ${limits.objectBytes + 1} bytes: no object of a reply for this model is over ${limits.objectBytes}`,
      );
      expect(store.stats()).toEqual({ objects: 0, bytes: 0 });
    },
  );

  it('refuses a reply tree bigger than a reply for the global model, and names past any honest length, before registering anything', async () => {
    const node = await joined('grpc');
    const { runId, store } = harness.aggregator.state;
    const limits = messageLimits(await globalShapes());
    const ids = { messageId: 'a'.repeat(64), srcNodeId: node.nodeId, dstNodeId: 1n, replyToMessageId: 'b'.repeat(64) };
    const metadata = { runId, ...ids, groupId: '1', ttl: 600, messageType: 'train', createdAt: Date.now() / 1000 };
    const leaves = Array.from({ length: limits.objects }, (_, i) => ({ objectId: i.toString(16).padStart(64, '0'), children: [] }));
    const wide = { objectId: metadata.messageId, children: [{ objectId: 'd'.repeat(64), children: leaves }] };
    const push = (message: object, tree: ObjectTree) =>
      node.call('PushMessages', { node: { nodeId: node.nodeId }, messagesList: [message], messageObjectTrees: [tree] });
    const tooWide = await refusal(push({ metadata, error: { code: 2n, reason: 'x' } }, wide));
    const widely = `reply refused: object tree: more than ${limits.objects} objects, more than a message can hold`;
    expect([tooWide.code, tooWide.details]).toEqual(['INVALID_ARGUMENT', widely]);
    const bare = { objectId: metadata.messageId, children: [] };
    const longType = await refusal(
      push({ metadata: { ...metadata, messageType: 't'.repeat(300) }, error: { code: 2n, reason: 'x' } }, bare),
    );
    expect(longType.details).toMatch(/message_type of 300 characters \(at most 256\)/);
    const rambling = await refusal(push({ metadata, error: { code: 2n, reason: 'x'.repeat(5000) } }, bare));
    expect(rambling.details).toMatch(/an error reason of 5000 characters \(at most 4096\)/);
    expect(store.stats().objects).toBe(0);
  });

  it('refuses a public key longer than any key (over REST, which signs nothing)', async () => {
    const node = await FakeNode.connect('rest', harness.addresses.rest!);
    const error = await refusal(node.call('RegisterNode', { publicKey: new Uint8Array(5000) }));
    expect([error.code, error.details]).toEqual(['HTTP 400', 'a public key of 5000 bytes (at most 4096)']);
  });

  it('leaves cleanly: deactivate, unregister; the key then names no node', async () => {
    const node = await joined('rest');
    await node.leave();
    expect(harness.aggregator.state.registry.status(node.nodeId)).toBe('unregistered');
    expect((await refusal(node.call('UnregisterNode', { nodeId: node.nodeId }))).code).toBe('HTTP 400');
  });
});
