// Tests (Node): the server side of Flower 1.29's SecAggPlusWorkflow, written from its code (secaggplus_workflow.py),
// run in process against SecAggPlusClient parties; every message crosses the real ConfigRecord protobuf codec.
import { combineShares } from '../../../../main/federation/secagg/shamir.js';
import type { SecAggPlusClient } from '../../../../main/federation/secagg/client.js';
import { privateKeyFromPem, publicKeyFromPem, sharedFernetKey } from '../../../../main/federation/secagg/keys.js';
import { applyPseudoRandMasks } from '../../../../main/federation/secagg/masks.js';
import type { FitOutcome } from '../../../../main/federation/secagg/masking.js';
import { addInPlace, type IntVector } from '../../../../main/federation/secagg/modular.js';
import type { Stage } from '../../../../main/federation/secagg/protocol.js';
import { dequantize } from '../../../../main/federation/secagg/quantization.js';
import { decodeNpy, type ConfigValue } from '../../../../main/federation/wire/index.js';
import { configRecord } from '../../../../main/federation/wire/records/model.js';
import { configRecordBody, configRecordFromBody } from '../../../../main/federation/wire/records/record-bodies.js';

type Configs = Map<string, ConfigValue>;

export interface SimParty {
  nid: bigint;
  /** The party's reply (its secaggplus_configs) to one stage's configs. */
  answer: (stage: Stage, configs: Configs) => Promise<Configs>;
  /** The last stage this party answers; it sends nothing after it (a dropout). */
  lastStage?: Stage;
}

/**
 * A SecAggPlusClient in this process, its messages carried through the ConfigRecord protobuf codec both ways unless
 * `codec` is false: the wire layer refuses a setting over 64 KiB, and masked_params of a real model are larger.
 */
export function inProcess(nid: bigint, client: SecAggPlusClient, fit: FitOutcome, lastStage?: Stage, codec = true): SimParty {
  const carry = codec ? wire : (configs: Configs) => configs;
  return { nid, lastStage, answer: async (_stage, configs) => carry(await client.handle(nid, carry(configs), () => Promise.resolve(fit))) };
}

export interface WorkflowSettings {
  numShares: number;
  threshold: number;
  clippingRange: number;
  quantizationRange: number;
  modRange: number;
  maxWeight: number;
  /** Neighbour order, as Flower's random.shuffle of the sampled ids would leave it. */
  shuffle: (ids: bigint[]) => bigint[];
}

export interface WorkflowResult {
  /** The unmasked sum mod mod_range: the ratios' sum first, then the weighted quantised weights. */
  unmasked: IntVector[];
  /** Flower's weighted average after dequantisation. */
  aggregate: Float64Array[];
  active: bigint[];
}

/** One stage: each listed party gets its configs and replies unless it has dropped. */
async function send(parties: Map<bigint, SimParty>, ids: Iterable<bigint>, stage: Stage, make: (nid: bigint) => Configs) {
  const replies = new Map<bigint, Configs>();
  for (const nid of ids) {
    const party = parties.get(nid)!;
    if (party.lastStage && STAGE_ORDER.indexOf(stage) > STAGE_ORDER.indexOf(party.lastStage)) continue;
    replies.set(nid, await party.answer(stage, new Map([['stage', stage], ...make(nid)])));
  }
  return replies;
}

const STAGE_ORDER: Stage[] = ['setup', 'share_keys', 'collect_masked_vectors', 'unmask'];

function wire(configs: Configs): Configs {
  return configRecordFromBody(configRecordBody(configRecord(configs)), 'secaggplus_configs').items;
}

export async function runWorkflow(list: SimParty[], s: WorkflowSettings): Promise<WorkflowResult> {
  const parties = new Map(list.map((party) => [party.nid, party]));
  const sampled = s.shuffle(list.map((party) => party.nid));
  const half = s.numShares >> 1;
  const neighbours = new Map(
    sampled.map((nid, idx) => [
      nid,
      new Set(
        Array.from({ length: 2 * half + 1 }, (_, k) => sampled[(((idx + k - half) % sampled.length) + sampled.length) % sampled.length]!),
      ),
    ]),
  );
  const inter = (nid: bigint, ids: Set<bigint>) => [...neighbours.get(nid)!].filter((id) => ids.has(id));
  const checkThreshold = (active: Set<bigint>) => {
    for (const nid of sampled) if (inter(nid, active).length < s.threshold) throw new Error(`Insufficient available nodes (node ${nid})`);
  };

  const setupConfigs: Configs = new Map<string, ConfigValue>([
    ['sample_num', BigInt(sampled.length)],
    ['share_num', BigInt(s.numShares)],
    ['threshold', BigInt(s.threshold)],
    ['clipping_range', s.clippingRange],
    ['target_range', BigInt(s.quantizationRange)],
    ['mod_range', BigInt(s.modRange)],
    ['max_weight', s.maxWeight],
  ]);
  const setup = await send(parties, sampled, 'setup', () => setupConfigs);
  let active = new Set(setup.keys());
  const publicKeys = new Map([...setup].map(([nid, reply]) => [nid, [reply.get('pk1') as Uint8Array, reply.get('pk2') as Uint8Array]]));
  checkThreshold(active);

  const shareKeys = await send(
    parties,
    active,
    'share_keys',
    (nid) => new Map(inter(nid, active).map((id) => [String(id), publicKeys.get(id)!])),
  );
  active = new Set(shareKeys.keys());
  const forward = new Map([...active].map((nid) => [nid, { ctxts: [] as Uint8Array[], srcs: [] as bigint[] }]));
  for (const [src, reply] of shareKeys) {
    const [dsts, ctxts] = [reply.get('dsts') as bigint[], reply.get('ctxts') as Uint8Array[]];
    dsts.forEach((dst, i) => forward.get(dst)?.ctxts.push(ctxts[i]!) && forward.get(dst)!.srcs.push(src));
  }
  checkThreshold(active);

  const collect = await send(
    parties,
    active,
    'collect_masked_vectors',
    (nid) => new Map<string, ConfigValue>(Object.entries(forward.get(nid)!)),
  );
  active = new Set(collect.keys());
  let sum: IntVector[] | undefined;
  for (const reply of collect.values()) {
    const vectors = (reply.get('masked_params') as Uint8Array[]).map((npy) => {
      const array = decodeNpy(npy);
      if (array.dtype !== 'int64') throw new Error(`masked_params are ${array.dtype}, Flower sends int64`);
      return { shape: [...array.shape], data: Float64Array.from(array.data, (value) => Number(value)) };
    });
    if (sum) vectors.forEach((vector, i) => addInPlace(sum![i]!, vector, s.modRange));
    else sum = vectors;
  }
  checkThreshold(active);
  return unmaskStage(parties, sum!, active, new Set(sampled), neighbours, publicKeys, s);
}

async function unmaskStage(
  parties: Map<bigint, SimParty>,
  masked: IntVector[],
  active: Set<bigint>,
  sampled: Set<bigint>,
  neighbours: Map<bigint, Set<bigint>>,
  publicKeys: Map<bigint, Uint8Array[]>,
  s: WorkflowSettings,
): Promise<WorkflowResult> {
  const dead = new Set([...sampled].filter((nid) => !active.has(nid)));
  const pick = (nid: bigint, ids: Set<bigint>) => [...neighbours.get(nid)!].filter((id) => ids.has(id));
  const replies = await send(
    parties,
    active,
    'unmask',
    (nid) =>
      new Map<string, ConfigValue>([
        ['active_nids', pick(nid, active)],
        ['dead_nids', pick(nid, dead)],
      ]),
  );
  const collected = new Map([...sampled].map((nid) => [nid, [] as Uint8Array[]]));
  for (const reply of replies.values()) {
    const [nids, shares] = [reply.get('nids') as bigint[], reply.get('shares') as Uint8Array[]];
    nids.forEach((owner, i) => collected.get(owner)!.push(shares[i]!));
  }
  for (const [nid, shares] of collected) {
    if (shares.length < s.threshold) throw new Error('Not enough shares to recover secret in unmask vectors stage');
    const secret = combineShares(shares);
    if (active.has(nid)) {
      applyPseudoRandMasks(masked, secret, s.modRange, -1);
      continue;
    }
    const sk1 = privateKeyFromPem(secret, `sk1 of dead node ${nid}`);
    for (const peer of [...neighbours.get(nid)!].filter((id) => id !== nid)) {
      const key = sharedFernetKey(sk1, publicKeyFromPem(publicKeys.get(peer)![0]!, 'pk1'));
      applyPseudoRandMasks(masked, key, s.modRange, nid > peer ? 1 : -1);
    }
  }
  const [ratios, ...weights] = masked;
  const inverseRatio = s.quantizationRange / ratios!.data[0]!;
  const offset = -(active.size - 1) * s.clippingRange;
  const aggregate = weights.map((vector) =>
    dequantize(vector, s.clippingRange, s.quantizationRange).map((value) => (value + offset) * inverseRatio),
  );
  return { unmasked: masked, aggregate, active: [...active] };
}
