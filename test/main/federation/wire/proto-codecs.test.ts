// Tests (Node): our protobuf schema speaks Flower 1.29's bytes, and every codec is typed, strict and lossless.
import { describe, expect, it } from 'vitest';
import { WireError, fleetRpcs, wireCodecs, type FleetRpcName } from '../../../../main/federation/wire/index.js';
import { fleetService } from '../../../../main/federation/wire/proto/root.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const BIG = 2n ** 64n - 1n;

describe('the schema on the wire', () => {
  it('writes Metadata with Flower 1.29 numbers and types, skipping proto3 defaults', () => {
    const bytes = wireCodecs.Metadata.encode({ runId: 1n, messageId: '', srcNodeId: BIG, groupId: 'g', ttl: 1.5, createdAt: 0 });
    // field 1 varint 1; field 3 varint 2^64-1; field 6 "g"; field 7 double 1.5 (message_id and created_at are defaults)
    expect(hex(bytes)).toBe('0801' + '18ffffffffffffffffff01' + '320167' + '39000000000000f83f');
  });

  it('packs repeated numbers and zigzags sint64, as protobuf does for proto3', () => {
    const value = wireCodecs.MetricRecord.encode({ items: [{ key: 'a', value: { sintList: { vals: [-1n, 1n] } } }] });
    // item{key "a", value{sint_list(22) SintList{vals(1) packed zigzag [1, 2]}}}
    expect(hex(value)).toBe('0a0c' + '0a0161' + '1207' + 'b20104' + '0a020102');
  });

  it('keeps a oneof member that holds its zero value', () => {
    expect(hex(wireCodecs.MetricRecord.encode({ items: [{ key: 'z', value: { double: 0 } }] }))).toBe('0a0e0a017a1209090000000000000000');
  });

  it('declares exactly the twelve Fleet RPCs of Flower 1.29', () => {
    expect(Object.keys(fleetService().methods)).toEqual(Object.keys(fleetRpcs));
    expect(Object.keys(fleetRpcs)).toHaveLength(12);
  });
});

describe('fleetRpcs', () => {
  it("gives each RPC Flower's request and response message types", () => {
    expect(fleetRpcs.RegisterNode.request.typeName).toBe('RegisterNodeFleetRequest');
    expect(fleetRpcs.UnregisterNode.response.typeName).toBe('UnregisterNodeFleetResponse');
  });

  const node = { nodeId: 2n ** 63n + 7n };
  const tree = { objectId: 'a'.repeat(64), children: [{ objectId: 'b'.repeat(64), children: [] }] };
  const message = {
    metadata: {
      runId: 2n ** 60n,
      messageId: 'c'.repeat(64),
      srcNodeId: 1n,
      dstNodeId: node.nodeId,
      replyToMessageId: '',
      groupId: '2',
      ttl: 10,
      messageType: 'train',
      createdAt: 1.5,
    },
    content: { items: [] },
  };
  const samples: { [N in FleetRpcName]: [unknown, unknown] } = {
    RegisterNode: [{ publicKey: new Uint8Array([1, 2]) }, { nodeId: node.nodeId }],
    ActivateNode: [{ publicKey: new Uint8Array([3]), heartbeatInterval: 30 }, { nodeId: node.nodeId }],
    DeactivateNode: [{ nodeId: node.nodeId }, {}],
    UnregisterNode: [{ nodeId: node.nodeId }, {}],
    SendNodeHeartbeat: [{ node, heartbeatInterval: 30 }, { success: true }],
    PullMessages: [
      { node, messageIds: ['x'] },
      { reconnect: { reconnect: 5n }, messagesList: [message], messageObjectTrees: [tree] },
    ],
    PushMessages: [
      { node, messagesList: [message], messageObjectTrees: [tree], clientappRuntimeList: [0.5] },
      { reconnect: { reconnect: 5n }, results: new Map([['c'.repeat(64), 0]]), objectsToPush: ['a'.repeat(64)] },
    ],
    GetRun: [
      { node, runId: 9n },
      {
        run: {
          runId: 9n,
          fabId: 'f',
          fabVersion: '1',
          overrideConfig: new Map([
            ['lr', { double: 0.1 }],
            ['n', { sint64: -3n }],
          ]),
          fabHash: 'h',
          pendingAt: 'p',
          startingAt: 's',
          runningAt: 'r',
          finishedAt: '',
          status: { status: 'running', subStatus: '', details: '' },
          flwrAid: 'aid',
          federation: 'default',
          bytesSent: BIG,
          bytesRecv: 0n,
          clientappRuntime: 2.5,
          runType: 'serverapp',
        },
      },
    ],
    GetFab: [
      { node, hashStr: 'h', runId: 9n },
      { fab: { hashStr: 'h', content: new Uint8Array([9]), verifications: new Map([['k', 'v']]) } },
    ],
    PushObject: [{ node, runId: 9n, objectId: 'a'.repeat(64), objectContent: new Uint8Array([0]) }, { stored: true }],
    PullObject: [
      { node, runId: 9n, objectId: 'a'.repeat(64) },
      { objectFound: true, objectAvailable: false, objectContent: new Uint8Array(0) },
    ],
    ConfirmMessageReceived: [{ node, runId: 9n, messageObjectId: 'a'.repeat(64) }, {}],
  };

  it.each(Object.keys(samples) as FleetRpcName[])('%s round-trips its request and response losslessly', (name) => {
    const [request, response] = samples[name];
    const rpc = fleetRpcs[name] as unknown as {
      request: { encode(v: unknown): Uint8Array; decode(b: Uint8Array): unknown };
      response: { encode(v: unknown): Uint8Array; decode(b: Uint8Array): unknown };
    };
    expect(rpc.request.decode(rpc.request.encode(request))).toEqual(request);
    expect(rpc.response.decode(rpc.response.encode(response))).toEqual(response);
  });
});

describe('decoding', () => {
  it('fills proto3 defaults, gives bigint ids, plain Uint8Array bytes, and leaves absent messages undefined', () => {
    const decoded = fleetRpcs.PullObject.response.decode(new Uint8Array([0x1a, 0x01, 0x07]));
    expect(decoded).toEqual({ objectFound: false, objectAvailable: false, objectContent: new Uint8Array([7]) });
    expect(Object.getPrototypeOf(decoded.objectContent)).toBe(Uint8Array.prototype);
    expect(fleetRpcs.PullObject.request.decode(new Uint8Array(0))).toEqual({ runId: 0n, objectId: '' });
  });

  it('skips fields it does not know (a newer peer may add some)', () => {
    const withExtra = new Uint8Array([...fleetRpcs.ActivateNode.response.encode({ nodeId: 5n }), 0xa0, 0x06, 0x01]); // field 100 varint
    expect(fleetRpcs.ActivateNode.response.decode(withExtra)).toEqual({ nodeId: 5n });
  });

  it('refuses malformed bytes naming the message type', () => {
    expect(() => fleetRpcs.PullMessages.response.decode(new Uint8Array([0x12, 0x05, 0x01]))).toThrow(
      /^PullMessagesResponse: cannot decode 3 bytes/,
    );
  });

  it('refuses a record value whose oneof is empty; of two members the last wins, as in protobuf', () => {
    expect(() => wireCodecs.ConfigRecord.decode(new Uint8Array([0x0a, 0x05, 0x0a, 0x01, 0x6b, 0x12, 0x00]))).toThrow(
      /ConfigRecord.items\[0\].value: ConfigRecordValue.value has 0 values/,
    );
    const twice = new Uint8Array([0x0a, 0x09, 0x0a, 0x01, 0x6b, 0x12, 0x04, 0x10, 0x02, 0x20, 0x01]); // sint64 1, then bool true
    expect(wireCodecs.ConfigRecord.decode(twice)).toEqual({ items: [{ key: 'k', value: { bool: true } }] });
  });
});

describe('encoding is strict', () => {
  const encodeAny = (value: unknown) => () => fleetRpcs.PushObject.request.encode(value as never);

  it.each([
    ['an unknown key', { runId: 1n, objectID: 'x' }, /PushObjectRequest.objectID: PushObjectRequest has no such field/],
    [
      'a number for a uint64',
      { runId: 1 },
      /PushObjectRequest.runId: expected a bigint in 0..18446744073709551615 \(uint64\), got number 1/,
    ],
    ['a negative uint64', { runId: -1n }, /runId: expected a bigint/],
    ['a uint64 past 2^64', { runId: 2n ** 64n }, /runId: expected a bigint/],
    ['an unknown nested key', { node: { nodeId: 1n, extra: 1 } }, /PushObjectRequest.node.extra: Node has no such field/],
    ['a string for bytes', { objectContent: 'bytes' }, /objectContent: expected a Uint8Array \(bytes\), got "bytes"/],
    ['an array for a message', { node: [1n] }, /node: expected a Node object, got an array/],
    ['an inherited name', { constructor: 1 }, /constructor: PushObjectRequest has no such field/],
  ])('refuses %s, naming the field', (_case, value, message) => {
    expect(encodeAny(value)).toThrow(WireError);
    expect(encodeAny(value)).toThrow(message);
  });

  it('refuses an int32 out of range and a oneof without exactly one member', () => {
    expect(() => wireCodecs.Array.encode({ shape: [2 ** 31] })).toThrow(/Array.shape\[0\]: expected an integer in -2147483648..2147483647/);
    expect(() => wireCodecs.MetricRecord.encode({ items: [{ key: 'k', value: {} }] })).toThrow(/MetricRecordValue needs exactly one of/);
    expect(() => wireCodecs.MetricRecord.encode({ items: [{ key: 'k', value: { double: 1, sint64: 1n } as never }] })).toThrow(/got 2/);
    expect(() => fleetRpcs.PushMessages.response.encode({ results: { a: 1 } as never })).toThrow(/results: expected a Map/);
  });

  it('lets undefined stand for an absent field', () => {
    expect(fleetRpcs.PushObject.request.decode(fleetRpcs.PushObject.request.encode({ node: undefined, runId: 3n }))).toEqual({
      runId: 3n,
      objectId: '',
      objectContent: new Uint8Array(0),
    });
  });
});
