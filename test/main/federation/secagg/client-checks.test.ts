// Tests (Node): the SecAgg+ party refuses stages out of order and inbound fields that do not fit, naming stage and key.
import { describe, expect, it } from 'vitest';

import { SecAggPlusClient } from '../../../../main/federation/secagg/client.js';
import { SecAggError } from '../../../../main/federation/secagg/errors.js';
import type { FitOutcome } from '../../../../main/federation/secagg/masking.js';
import type { ConfigValue } from '../../../../main/federation/wire/index.js';

type Configs = Map<string, ConfigValue>;
const FIT: FitOutcome = { arrays: [{ shape: [3], data: Float32Array.of(0.1, -0.2, 0.3) }], numExamples: 10 };
const train = () => Promise.resolve(FIT);
const IDS = [5n, 2n ** 63n + 9n, 40n];

function setupConfigs(overrides: Record<string, ConfigValue | undefined> = {}): Configs {
  const base: Record<string, ConfigValue | undefined> = {
    stage: 'setup',
    sample_num: 3n,
    share_num: 3n,
    threshold: 2n,
    clipping_range: 8.0,
    target_range: 4194304n,
    mod_range: 4294967296n,
    max_weight: 1000.0,
    ...overrides,
  };
  return new Map(Object.entries(base).filter((entry): entry is [string, ConfigValue] => entry[1] !== undefined));
}

/** Three real parties through setup; returns them with their public keys as the server would forward them. */
async function afterSetup() {
  const clients = IDS.map(() => new SecAggPlusClient());
  const replies = await Promise.all(clients.map((client, i) => client.handle(IDS[i]!, setupConfigs(), train)));
  const keys = new Map(IDS.map((nid, i) => [String(nid), [replies[i]!.get('pk1'), replies[i]!.get('pk2')] as Uint8Array[]]));
  return { clients, keys, shareKeys: (entries = keys): Configs => new Map<string, ConfigValue>([['stage', 'share_keys'], ...entries]) };
}

describe('SecAgg+ stage order', () => {
  it('refuses any stage but setup first, and a stage skipped', async () => {
    const client = new SecAggPlusClient();
    await expect(client.handle(1n, new Map([['stage', 'share_keys']]), train)).rejects.toThrow(
      /share_keys: "stage" arrived out of order: expected setup/,
    );
    await client.handle(1n, setupConfigs(), train);
    await expect(client.handle(1n, new Map([['stage', 'unmask']]), train)).rejects.toThrow(/expected share_keys after setup/);
    await expect(client.handle(1n, new Map([['stage', 'teardown']]), train)).rejects.toThrow(/"stage" must be one of/);
  });
});

describe('SecAgg+ setup fields', () => {
  it.each([
    [{ threshold: undefined }, /setup: "threshold" is missing/],
    [{ clipping_range: 8n }, /setup: "clipping_range" must be a float/],
    [{ sample_num: 8.0 }, /setup: "sample_num" must be an integer/],
    [{ threshold: 4n }, /setup: "threshold" is 4, outside 1..3/],
    [{ mod_range: 2n ** 60n }, /setup: "mod_range" is \d+, outside 2..4503599627370496/],
    [{ target_range: 4294967296n }, /setup: "target_range" .* outside 1..4294967295/],
    [{ max_weight: -1.0 }, /setup: "max_weight" must be positive/],
    [{ sample_num: 100_000n }, /outside 2..10000/],
  ])('refuses %o', async (overrides, message) => {
    await expect(new SecAggPlusClient().handle(1n, setupConfigs(overrides), train)).rejects.toThrow(message);
  });
});

describe('SecAgg+ share_keys fields', () => {
  it('refuses a bad node id, a wrong value, too many or too few neighbours, a reused key and its own keys missing', async () => {
    const { clients, keys, shareKeys } = await afterSetup();
    const [pk1, pk2] = keys.get(String(IDS[1]))!;
    const cases: [Map<string, Uint8Array[]>, RegExp][] = [
      [new Map([...keys, ['07', [pk1!, pk2!]]]), /share_keys: "07" is not a node id/],
      [new Map([...keys, ['99', [pk1!]]]), /share_keys: "99" must be a list of two public keys/],
      [
        new Map([...keys, ['99', [new Uint8Array(5), new Uint8Array(6)]]]),
        /lists 4 neighbours, more than sample_num\/share_num allow \(3\)/,
      ],
      [new Map([[String(IDS[0]), keys.get(String(IDS[0]))!]]), /lists 1 neighbours, fewer than the threshold 2/],
      [new Map([...keys].map(([id, pair]) => [id, id === String(IDS[2]) ? [pk1!, pair[1]!] : pair])), /lists one public key twice/],
      [new Map([...keys].filter(([id]) => id !== String(IDS[0]))), /share_keys: "5" does not list this node's own public keys/],
    ];
    for (const [entries, message] of cases) await expect(clients[0]!.handle(IDS[0]!, shareKeys(entries), train)).rejects.toThrow(message);
    const notAKey = new Map([...keys].map(([id, pair]) => [id, id === String(IDS[2]) ? [ascii('junk'), pair[1]!] : pair]));
    const refusal = clients[0]!.handle(IDS[0]!, shareKeys(notAKey), train);
    await expect(refusal).rejects.toThrow(SecAggError);
    await expect(refusal).rejects.toThrow(/share_keys: "40" pk1: not a PEM key/);
    // A refused stage leaves the state as it was: the same party then takes a good share_keys.
    const good = await clients[0]!.handle(IDS[0]!, shareKeys(), train);
    expect(good.get('dsts')).toEqual([IDS[1], IDS[2]]);
  });
});

describe('SecAgg+ collect_masked_vectors and unmask fields', () => {
  it('refuses a stranger as sender, a tampered share, mismatched lists and shares it does not hold', async () => {
    const { clients, shareKeys } = await afterSetup();
    const sent = await Promise.all(clients.map((client, i) => client.handle(IDS[i]!, shareKeys(), train)));
    const toFirst = sent.slice(1).map((reply) => (reply.get('ctxts') as Uint8Array[])[(reply.get('dsts') as bigint[]).indexOf(IDS[0]!)]!);
    const collect = (ctxts: Uint8Array[], srcs: bigint[]): Configs =>
      new Map<string, ConfigValue>([
        ['stage', 'collect_masked_vectors'],
        ['ctxts', ctxts],
        ['srcs', srcs],
      ]);
    const first = clients[0]!;
    await expect(first.handle(IDS[0]!, collect(toFirst, [IDS[1]!, 77n]), train)).rejects.toThrow(
      /"srcs" names node 77, which is not a neighbour/,
    );
    await expect(first.handle(IDS[0]!, collect(toFirst, [IDS[2]!, IDS[1]!]), train)).rejects.toThrow(/HMAC does not match/);
    await expect(first.handle(IDS[0]!, collect(toFirst, [IDS[1]!]), train)).rejects.toThrow(/"srcs" has 1 senders for 2 ciphertexts/);
    await expect(first.handle(IDS[0]!, collect(toFirst, [IDS[1]!, IDS[1]!]), train)).rejects.toThrow(/"srcs" repeats a node id/);
    await expect(first.handle(IDS[0]!, collect(toFirst, [IDS[1]!, -3n]), train)).rejects.toThrow(/"srcs" item 1 \(bigint -3\)/);
    await expect(first.handle(2n, collect(toFirst, [IDS[1]!, IDS[2]!]), train)).rejects.toThrow(/set up for node 5/);
    const nan: FitOutcome = { arrays: [{ shape: [1], data: Float32Array.of(NaN) }], numExamples: 1 };
    await expect(first.handle(IDS[0]!, collect(toFirst, [IDS[1]!, IDS[2]!]), () => Promise.resolve(nan))).rejects.toThrow(/NaN/);
    const masked = await first.handle(IDS[0]!, collect(toFirst, [IDS[1]!, IDS[2]!]), train);
    expect((masked.get('masked_params') as Uint8Array[]).length).toBe(2);

    const unmask = (active: bigint[], dead: bigint[]): Configs =>
      new Map<string, ConfigValue>([
        ['stage', 'unmask'],
        ['active_nids', active],
        ['dead_nids', dead],
      ]);
    await expect(first.handle(IDS[0]!, unmask([IDS[0]!], [IDS[1]!]), train)).rejects.toThrow(
      /"active_nids" lists 1 nodes, fewer than the threshold 2/,
    );
    await expect(first.handle(IDS[0]!, unmask([IDS[0]!, 8n], []), train)).rejects.toThrow(
      /"active_nids" names node 8, whose share this node does not hold/,
    );
    await expect(first.handle(IDS[0]!, unmask([IDS[0]!, IDS[1]!], [IDS[1]!]), train)).rejects.toThrow(
      /repeats a node id or names an active node/,
    );
    const reply = await first.handle(IDS[0]!, unmask([IDS[0]!, IDS[1]!], [IDS[2]!]), train);
    expect(reply.get('nids')).toEqual([IDS[0], IDS[1], IDS[2]]);
    expect((reply.get('shares') as Uint8Array[]).map((share) => share.length)).toEqual([4 + 48, 4 + 48, 4 + 320]);
  }, 30_000);
});

function ascii(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'ascii'));
}
