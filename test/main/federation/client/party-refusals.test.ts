// Tests (Node, real sockets, a real training thread): bad messages from the server are refused with an error reply naming the fault, and the party stays up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NamedArray } from '../../../../main/engine/weights.js';
import { configRecord, recordDict } from '../../../../main/federation/wire/records/model.js';
import { FakeFleet, waitFor } from './fake-fleet.js';
import { fedAvgContent, instruction, instructionWithNpy, npyFile, tampered } from './instructions.js';
import type { Instruction } from './pushed-replies.js';
import { errorsOf, openRunner, startParty, type JoinedParty, type OpenedRunner } from './party-fixture.js';

let opened: OpenedRunner;
let fleet: FakeFleet;
let joined: JoinedParty;
let nodeId: bigint;
beforeAll(async () => {
  opened = await openRunner();
  fleet = await FakeFleet.start('grpc');
  joined = await startParty(fleet, opened);
  nodeId = await fleet.activeNode();
});
afterAll(async () => {
  await joined.party.leave({ finish: false });
  await fleet.close();
  await opened.runner.close();
});

const train = (weights: NamedArray[], config = {}) => instruction(nodeId, fedAvgContent(weights, config), { type: 'train' });
const changed = (index: number, change: Partial<NamedArray>) => opened.weights.map((w, i) => (i === index ? { ...w, ...change } : w));
const withValue = (value: number) => changed(2, { data: Object.assign(opened.weights[2]!.data.slice(), { 7: value }) });

const cases: [string, () => Instruction, RegExp][] = [
  [
    'an object whose bytes do not hash to its id',
    () => tampered(train(opened.weights)),
    /object [0-9a-f]{64}: its \d+ bytes hash to [0-9a-f]{64}; refused/,
  ],
  [
    'a .npy holding Python objects (a pickle)',
    () => instructionWithNpy(nodeId, npyFile('|O', [2], new Uint8Array(16)), { dtype: 'float32', shape: [2] }),
    /npy dtype \|O holds Python objects \(a pickle\); refused/,
  ],
  [
    'an Array and its .npy declaring 2 GB over a few bytes',
    () => instructionWithNpy(nodeId, npyFile('<f4', [536_870_912]), { dtype: 'float32', shape: [536_870_912] }),
    /the message's arrays declare 2147483648 bytes, more than the \d+ it may hold \(the largest: array "dense\/kernel"/,
  ],
  [
    'one array too few',
    () => train(opened.weights.slice(0, -1)),
    /ArrayRecord "arrays": the model has 4 weight arrays \(dense\/kernel … dense_1\/bias\), the message has 3/,
  ],
  [
    'an array under another name',
    () => train(changed(1, { name: 'dense/beta' })),
    /weight 1 of the model is "dense\/bias", the message has "dense\/beta" there/,
  ],
  [
    'an array of the wrong shape',
    () => train(changed(2, { shape: [64, 20], data: new Float32Array(1280) })),
    /array "dense_1\/kernel" \(weight 2, dense_1\/kernel\): shape \[64, 20\] does not match the model's \[128, 10\]/,
  ],
  ['a NaN weight', () => train(withValue(Number.NaN)), /array "dense_1\/kernel" .*: value 7 is NaN; weights must be finite/],
  ['an infinite weight', () => train(withValue(Number.POSITIVE_INFINITY)), /value 7 is Infinity; weights must be finite/],
  [
    'a message type the site does not serve',
    () => instruction(nodeId, fedAvgContent(opened.weights), { type: 'query' }),
    /message type "query" is not served by this site/,
  ],
  [
    'a train message without arrays',
    () => instruction(nodeId, recordDict({ config: configRecord({ 'server-round': 1n }) })),
    /expected one ArrayRecord \("arrays"\), found "config" \(config\)/,
  ],
  ['a round setting that is not a number', () => train(opened.weights, { lr: 'fast' }), /config "lr": expected a number, got "fast"/],
];

describe('bad messages', () => {
  it.each(cases)('refuses %s with an error reply and keeps serving', async (_, build, reason) => {
    const errorsBefore = errorsOf(joined.events).length;
    const reply = await fleet.send(build());
    expect(reply.message.content).toBeUndefined();
    expect(reply.message.error?.code).toBe(2n);
    expect(reply.message.error?.reason).toMatch(reason);
    await waitFor(() => errorsOf(joined.events).length > errorsBefore, 5_000, 'an error event');
    expect(errorsOf(joined.events).at(-1)).toMatch(reason);
    expect(['idle', 'training', 'evaluating']).toContain(joined.party.state.type);
  });

  it('still trains after all of them, and the audit log holds each refusal', async () => {
    const reply = await fleet.send(train(opened.weights));
    expect([...reply.message.content!.keys()]).toEqual(['arrays', 'metrics']);
    await waitFor(() => joined.events.filter((event) => event.type === 'round').length === cases.length + 1, 5_000, 'every round summary');
    const audit = await joined.party.readAudit();
    const refusals = audit.filter((entry) => entry.direction === 'sent' && entry.error !== null);
    expect(refusals).toHaveLength(cases.length);
    cases.forEach(([, , reason], index) => expect(refusals[index]!.error).toMatch(reason));
    expect(fleet.replies.refused).toEqual([]);
  });

  it('waits for objects the server has listed but not stored yet', async () => {
    const message = train(opened.weights);
    for (const id of message.objects.keys()) fleet.unavailableFor.set(id, 1);
    const reply = await fleet.send(message);
    expect(reply.message.error).toBeUndefined();
    expect(fleet.callsOf('PullObject').length).toBeGreaterThanOrEqual(2 * message.objects.size);
  });
});
