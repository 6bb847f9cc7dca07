// Tests (real sockets, `tributary party` in a child process): a hostile server changes nothing: memory bounded, the party serves on, the audit names it.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../../main/federation/client/audit-log.js';
import type { NamedArray } from '../../../../main/engine/weights.js';
import { AggregatorConfigSchema } from '../../../../main/federation/server/config.js';
import { buildGlobalModel } from '../../../../main/federation/server/initial-model.js';
import type { AnyNdArray } from '../../../../main/federation/wire/npy/dtypes.js';
import type { Metadata, ObjectTree } from '../../../../main/federation/wire/proto/record-types.js';
import { arrayRecord, configRecord, recordDict, type ConfigValue } from '../../../../main/federation/wire/records/model.js';
import { FakeFleet } from '../client/fake-fleet.js';
import { fedAvgContent, instruction, instructionWithNpy, npyFile, tampered } from '../client/instructions.js';
import type { Instruction } from '../client/pushed-replies.js';
import { PartyChild } from './party-child.js';
import { hostileGrpc, hostileRest, Hostility } from './raw-servers.js';

/** The most the party process may hold at any moment of an attack (the issue's 2 GB answer took one to 4.1 GB). */
const RSS_LIMIT = 600 * 2 ** 20;
const GIB2 = 2 ** 31;

/** The party's model as the server builds it: the MLP on 28x28x1 images and 10 classes (784-128-10). */
let weights: NamedArray[];
beforeAll(async () => {
  const section = AggregatorConfigSchema.parse({ model: { builtin: 'mlp', input_shape: [28, 28, 1], classes: 10 }, insecure: true }).model;
  const global = await buildGlobalModel(section, '.');
  global.model.dispose();
  weights = global.weights;
});

/** What one attack does and how the party must refuse it; `answer` is the message whose error reply is expected, if any. */
interface Attack {
  name: string;
  /** Sets up the attack; returns the message sent (its reply is awaited) or nothing when no message is handed out. */
  launch: (context: AttackContext) => Instruction | undefined;
  /** The refusal the audit log and, for a message, the error reply must name. */
  refusal: RegExp;
  transports?: ('grpc' | 'rest')[];
}

interface AttackContext {
  fleet: FakeFleet;
  hostility: Hostility;
  nodeId: bigint;
  /** A fresh group id, so every message is distinct. */
  group: string;
  /** Checks the attack settles before the party is asked to serve again. */
  awaiting: Promise<unknown>[];
}

/**
 * The weights moved a little for each message: a party holds the objects of the last message and pulls only new
 * ones, and an attack on an object it holds would never reach it.
 */
const fresh = (group: string, arrays = weights) => {
  const shift = Number.parseInt(group, 36) * 1e-6;
  return arrays.map((weight) => ({ ...weight, data: weight.data.map((value) => value + shift) }));
};
const evaluate = (context: AttackContext) =>
  instruction(context.nodeId, fedAvgContent(fresh(context.group)), { type: 'evaluate', group: context.group });
const train = (context: AttackContext, config: Record<string, ConfigValue> = {}, arrays = weights) =>
  instruction(context.nodeId, fedAvgContent(fresh(context.group, arrays), config), { type: 'train', group: context.group });
const changed = (index: number, change: Partial<NamedArray>) =>
  weights.map((weight, i) => (i === index ? { ...weight, ...change } : weight));
const withValue = (value: number) => changed(2, { data: Object.assign(weights[2]!.data.slice(), { 7: value }) });

/** The message with its tree replaced (ids that hash to nothing, or a shape no message has), as a server may hand it out. */
function withTree(message: Instruction, tree: ObjectTree): Instruction {
  return { ...message, tree, proto: { metadata: { ...message.proto.metadata!, messageId: tree.objectId } as Metadata } };
}

const ATTACKS: Attack[] = [
  {
    name: 'a PullObject answer declaring 2 GiB',
    launch: (context) => (context.hostility.next('PullObject', { flood: { declared: GIB2 } }), evaluate(context)),
    refusal:
      /PullObject failed: TOO_LARGE: the answer declares 2147483648 bytes \((Content-Length|gRPC length prefix)\), more than .*: refused unread/,
  },
  {
    name: 'a PullObject answer without a length that never ends',
    launch: (context) => (context.hostility.next('PullObject', { flood: { declared: null } }), evaluate(context)),
    refusal: /PullObject failed: TOO_LARGE: the answer ran past \d+ bytes, .*: stopped reading/,
    transports: ['rest'],
  },
  {
    name: 'a gzip PullObject answer that inflates to 64 MiB',
    launch: (context) => (
      context.hostility.next('PullObject', { bytes: gzipSync(Buffer.alloc(64 * 2 ** 20)), gzipped: true }),
      evaluate(context)
    ),
    refusal: /PullObject failed: TOO_LARGE: the answer ran past \d+ bytes, .*: stopped reading/,
    transports: ['grpc'],
  },
  {
    name: 'a PullMessages answer declaring 2 GiB',
    launch: ({ hostility }) => void hostility.next('PullMessages', { flood: { declared: GIB2 } }),
    refusal: /^PullMessages answer refused: PullMessages failed: TOO_LARGE: the answer declares 2147483648 bytes/,
  },
  {
    name: 'a PullMessages answer that is not protobuf',
    launch: ({ hostility }) =>
      void hostility.next('PullMessages', { bytes: new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]) }),
    refusal: /^PullMessages answer refused: PullMessagesResponse: cannot decode 9 bytes/,
  },
  {
    name: 'a PullObject answer that is not protobuf',
    launch: (context) => (context.hostility.next('PullObject', { bytes: new Uint8Array([0xff, 0xff, 0xff]) }), evaluate(context)),
    refusal: /PullObjectResponse: cannot decode 3 bytes/,
  },
  {
    name: 'three messages in one PullMessages answer (the first is served)',
    launch: (context) => {
      const messages = ['', 'b', 'c'].map((suffix) => evaluate({ ...context, group: `${context.group}${suffix}` }));
      const [first, second, third] = messages as [Instruction, Instruction, Instruction];
      const answer = { messagesList: [first.proto, second.proto, third.proto], messageObjectTrees: [first.tree, second.tree, third.tree] };
      const [served, ...refused] = context.fleet.sendAnswer(context.nodeId, answer, [first, second, third]);
      context.awaiting.push(served!.then((reply) => expect(reply.message.error).toBeUndefined()));
      context.awaiting.push(
        Promise.all(refused).then((replies) => expect(replies.map((reply) => reply.message.error?.code)).toEqual([2n, 2n])),
      );
      return undefined;
    },
    refusal: /^PullMessages answer refused: message 3 of 3; a server hands out one message at a time/,
  },
  {
    name: 'objects whose bytes do not hash to their ids',
    launch: (context) => tampered(train(context)),
    refusal: /object [0-9a-f]{64}: its \d+ bytes hash to [0-9a-f]{64}; refused/,
  },
  {
    name: 'an object tree of more objects than a message for the model holds',
    launch: (context) => {
      const message = evaluate(context);
      const leaves = Array.from({ length: 200 }, (_, i) => ({ objectId: i.toString(16).padStart(64, 'e'), children: [] }));
      const content = message.tree.children[0]!;
      return withTree(message, { objectId: message.tree.objectId, children: [{ ...content, children: [...content.children, ...leaves] }] });
    },
    refusal: /object tree: more than \d+ objects, more than a message can hold/,
  },
  {
    name: 'an object tree nested deeper than a message',
    launch: (context) => {
      const message = evaluate(context);
      let deep: ObjectTree = { objectId: 'f'.repeat(64), children: [] };
      for (let level = 0; level < 40; level += 1) deep = { objectId: level.toString(16).padStart(64, 'd'), children: [deep] };
      return withTree(message, { objectId: message.tree.objectId, children: [deep] });
    },
    refusal: /object tree: [0-9a-f]{64} lies deeper than 5 levels/,
  },
  {
    name: 'an Array declaring 2 GiB (refused before its chunks are pulled)',
    launch: ({ nodeId }) => instructionWithNpy(nodeId, npyFile('<f4', [536_870_912]), { dtype: 'float32', shape: [536_870_912] }),
    refusal:
      /the message's arrays declare 2147483648 bytes, more than the \d+ it may hold \(the largest: array "[^"]+", float32 \[536870912\]/,
  },
  {
    name: 'a .npy declaring 2 GiB over a few bytes, under an Array that says 2 values',
    launch: ({ nodeId }) => instructionWithNpy(nodeId, npyFile('<f4', [536_870_912]), { dtype: 'float32', shape: [2] }),
    refusal: /declares 2147483648 bytes, more than the ceiling of \d+/,
  },
  {
    name: 'a .npy holding Python objects (a pickle)',
    launch: ({ nodeId }) => instructionWithNpy(nodeId, npyFile('|O', [2], new Uint8Array(16)), { dtype: 'float32', shape: [2] }),
    refusal: /npy dtype \|O holds Python objects \(a pickle\); refused/,
  },
  {
    name: 'an array of the wrong shape',
    launch: (context) => train(context, {}, changed(2, { shape: [64, 20], data: new Float32Array(1280) })),
    refusal: /array "dense_1\/kernel" \(weight 2, dense_1\/kernel\): shape \[64, 20\] does not match the model's \[128, 10\]/,
  },
  {
    name: 'an array of the wrong dtype (float64)',
    launch: (context) => {
      const asArray = ({ shape, data }: NamedArray, index: number): AnyNdArray =>
        index === 1 ? { dtype: 'float64', shape, data: Float64Array.from(data) } : { dtype: 'float32', shape, data };
      const arrays = arrayRecord(weights.map((weight, index) => [weight.name, asArray(weight, index)]));
      return instruction(context.nodeId, recordDict({ arrays, config: configRecord({ 'server-round': 1n }) }), {
        type: 'train',
        group: context.group,
      });
    },
    refusal: /array "dense\/bias" \(weight 1, dense\/bias\): dtype float64, but the model's weights are float32/,
  },
  {
    name: 'a NaN weight',
    launch: (context) => train(context, {}, withValue(Number.NaN)),
    refusal: /array "dense_1\/kernel" .*: value 7 is NaN; weights must be finite/,
  },
  {
    name: 'an infinite weight',
    launch: (context) => train(context, {}, withValue(Number.NEGATIVE_INFINITY)),
    refusal: /value 7 is -Infinity; weights must be finite/,
  },
  {
    name: 'a message type the site does not serve',
    launch: (context) => instruction(context.nodeId, fedAvgContent(weights), { type: 'query.rm-rf', group: context.group }),
    refusal: /message type "query.rm-rf" is not served by this site/,
  },
  {
    name: 'a learning rate that is not a number',
    launch: (context) => train(context, { lr: Number.NaN }),
    refusal: /config "lr": expected a number, got NaN/,
  },
  {
    name: 'a config string of 100 kB',
    launch: (context) => train(context, { note: 'x'.repeat(100_000) }),
    refusal: /key "note": a value 100000 long; a setting is at most 65536 characters or bytes/,
  },
];

describe.each(['grpc', 'rest'] as const)('a hostile server over %s', (kind) => {
  const hostility = new Hostility();
  const peaks: [string, number][] = [];
  let fleet: FakeFleet;
  let party: PartyChild;
  let nodeId: bigint;
  let groups = 0;

  beforeAll(async () => {
    fleet = await FakeFleet.start(kind, 0, kind === 'grpc' ? hostileGrpc(hostility) : hostileRest(hostility));
    party = await PartyChild.start(fleet.address, kind);
    nodeId = await fleet.activeNode(60_000);
    peaks.push(['joined', party.peakRss()]);
  }, 90_000);
  afterAll(async () => {
    console.log(`party peak RSS over ${kind}, MB: ${peaks.map(([name, bytes]) => `${name}: ${(bytes / 2 ** 20).toFixed(0)}`).join('; ')}`);
    expect(await party.stop()).toBe(0);
    await fleet.close();
  });

  const context = (): AttackContext => ({ fleet, hostility, nodeId, group: String((groups += 1)), awaiting: [] });

  /** A good evaluate round afterwards: the party is up and serving. */
  async function servesAGoodMessage(): Promise<void> {
    const reply = await fleet.send(evaluate(context()));
    expect(reply.message.error).toBeUndefined();
    expect(reply.message.content?.get('metrics')).toBeDefined();
  }

  const attacks = ATTACKS.filter((attack) => attack.transports?.includes(kind) ?? true);
  it.each(attacks.map((attack) => [attack.name, attack] as const))('%s', async (name, attack) => {
    const linesBefore = (await party.audit()).length;
    const floodsBefore = hostility.floods.length;
    party.resetPeak();
    const attackContext = context();
    const message = attack.launch(attackContext);
    if (message) {
      const reply = await fleet.send(message);
      expect(reply.message.error?.code).toBe(2n);
      expect(reply.message.error?.reason).toMatch(attack.refusal);
    }
    const lines = await party.auditOnce((entry) => attack.refusal.test(entry.error ?? ''), name);
    const refused = lines.slice(linesBefore).find((entry: AuditEntry) => attack.refusal.test(entry.error ?? ''));
    // A message refused on arrival has it on its received line; one refused when it is read as a task, on the error reply sent.
    if (message) expect([refused?.messageId, refused?.replyTo]).toContain(message.messageId);
    await Promise.all(attackContext.awaiting);
    // A flood of 2 GiB got no further than socket and flow-control buffers before the party closed the stream.
    const flood = hostility.floods.length > floodsBefore ? await hostility.lastFlood() : undefined;
    if (flood) expect(flood.sent).toBeLessThan(32 * 2 ** 20);
    await servesAGoodMessage();
    const peak = party.peakRss();
    peaks.push([flood ? `${name} (the server got ${(flood.sent / 2 ** 20).toFixed(1)} MB out)` : name, peak]);
    expect(peak).toBeLessThan(RSS_LIMIT);
  });

  it('takes absurd round settings only within its bounds, and trains', async () => {
    party.resetPeak();
    const reply = await fleet.send(train(context(), { 'local-epochs': 10n ** 12n, 'batch-size': 2n ** 62n, lr: 1e300 }));
    expect([...reply.message.content!.keys()]).toEqual(['arrays', 'metrics']);
    const clamped = party.lines.filter((line) => /clamped to/.test(line)).join('\n');
    expect(clamped).toMatch(/config "local-epochs" = 1000000000000 clamped to 1 \(the site allows 1 to 1\)/);
    expect(clamped).toMatch(/config "batch-size" = 4611686018427388000 clamped to 1024/);
    expect(clamped).toMatch(/config "lr" = 1e\+300 clamped to 1/);
    peaks.push(['absurd settings, clamped', party.peakRss()]);
    expect(party.peakRss()).toBeLessThan(RSS_LIMIT);
  });
});
