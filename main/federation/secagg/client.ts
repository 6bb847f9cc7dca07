// Runs in Node: one party's side of Flower 1.29's SecAgg+ (secaggplus_mod), a state machine over a round's four stages.
import { randomBytes as cryptoRandomBytes, randomInt } from 'node:crypto';

import type { ConfigValue } from '../wire/index.js';
import { fail } from './errors.js';
import { fernetDecrypt, fernetEncrypt } from './fernet.js';
import { generateKeyPair, privateKeyFromPem, publicKeyFromPem, sharedFernetKey, type KeyPair } from './keys.js';
import { maskedUpdateInThread } from './masked-update-thread.js';
import { maskSeeds, type FitOutcome, type Peer } from './masking.js';
import { concatSharePlaintext, separateSharePlaintext } from './plaintext.js';
import { KEY, MAX_CIPHERTEXT_BYTES, STAGES, type Stage } from './protocol.js';
import { createShares, type RandomBytes } from './shamir.js';
import {
  readCollect,
  readSetup,
  readShareKeys,
  readStage,
  readUnmask,
  type Configs,
  type PeerPublicKeys,
  type SetupParams,
} from './stage-configs.js';

export interface SecAggClientOptions {
  /** Seeds and Shamir coefficients; node:crypto's by default. */
  randomBytes?: RandomBytes;
  /** Seeds each round's stochastic rounding (an MT19937, numpy's global generator in Flower); node:crypto's by default. */
  roundingSeed?: () => number;
}

/** What one round keeps between its stages (Flower's SecAggPlusState). */
interface RoundState {
  nid: bigint;
  params: SetupParams;
  keys1: KeyPair;
  keys2: KeyPair;
  peers: Map<bigint, PeerPublicKeys>;
  /** Fernet keys from sk2 with each peer's pk2. */
  ss2: Map<bigint, Uint8Array>;
  rdSeed: Uint8Array;
  seedShares: Map<bigint, Uint8Array>;
  sk1Shares: Map<bigint, Uint8Array>;
}

type Reply = Map<string, ConfigValue>;

export class SecAggPlusClient {
  private stage: Stage = 'unmask';
  private round: RoundState | undefined;
  private readonly randomBytes: RandomBytes;
  private readonly roundingSeed: () => number;

  constructor(options: SecAggClientOptions = {}) {
    this.randomBytes = options.randomBytes ?? cryptoRandomBytes;
    this.roundingSeed = options.roundingSeed ?? (() => randomInt(2 ** 32 - 1));
  }

  /**
   * Runs the stage the configs name and returns the reply's secaggplus_configs. `train` runs only in
   * collect_masked_vectors, after the shares addressed to this node have been checked. A stage out of order, or any
   * field that does not fit, throws a SecAggError and leaves the state as it was.
   */
  async handle(nodeId: bigint, configs: Configs, train: () => Promise<FitOutcome>): Promise<Reply> {
    const stage = readStage(configs);
    this.checkOrder(stage);
    const reply = await this.run(stage, nodeId, configs, train);
    this.stage = stage;
    return reply;
  }

  private run(stage: Stage, nodeId: bigint, configs: Configs, train: () => Promise<FitOutcome>): Reply | Promise<Reply> {
    if (stage === 'setup') return this.setup(nodeId, configs);
    const round = this.round!;
    if (round.nid !== nodeId) fail(stage, 'dst_node_id', `is ${nodeId}, but this round was set up for node ${round.nid}`);
    if (stage === 'share_keys') return this.shareKeys(round, configs);
    if (stage === 'collect_masked_vectors') return this.collectMaskedVectors(round, configs, train);
    return unmask(round, configs);
  }

  /** Flower's check_stage: setup may always (re)start a round; any other stage must follow the last one. */
  private checkOrder(next: Stage): void {
    if (next === 'setup') return;
    const expected = STAGES[(STAGES.indexOf(this.stage) + 1) % STAGES.length]!;
    if (next !== expected) fail(next, KEY.stage, `arrived out of order: expected ${expected} after ${this.stage}`);
  }

  private setup(nid: bigint, configs: Configs): Reply {
    const params = readSetup(configs);
    const [keys1, keys2] = [generateKeyPair(), generateKeyPair()];
    this.round = {
      nid,
      params,
      keys1,
      keys2,
      peers: new Map(),
      ss2: new Map(),
      rdSeed: new Uint8Array(),
      seedShares: new Map(),
      sk1Shares: new Map(),
    };
    return new Map<string, ConfigValue>([
      [KEY.pk1, keys1.publicPem],
      [KEY.pk2, keys2.publicPem],
    ]);
  }

  /** Shares this node's mask seed and sk1 among its neighbours, each share encrypted to the neighbour's pk2. */
  private shareKeys(round: RoundState, configs: Configs): Reply {
    const peers = readShareKeys(configs, round.params);
    checkPeerKeys(round, peers);
    round.peers = peers;
    round.rdSeed = this.randomBytes(32);
    const { threshold, shareNum } = round.params;
    const seedShares = createShares(round.rdSeed, threshold, shareNum, this.randomBytes);
    const sk1Shares = createShares(round.keys1.privatePem, threshold, shareNum, this.randomBytes);
    const sk2 = privateKeyFromPem(round.keys2.privatePem, 'own sk2');
    const [dsts, ctxts]: [bigint[], Uint8Array[]] = [[], []];
    [...peers].forEach(([nid, { pk2 }], i) => {
      const [seedShare, sk1Share] = [seedShares[i]!, sk1Shares[i]!];
      if (nid === round.nid) {
        round.seedShares.set(nid, seedShare);
        round.sk1Shares.set(nid, sk1Share);
        return;
      }
      const key = sharedFernetKey(sk2, publicKeyFromPem(pk2, `share_keys: pk2 of node ${nid}`));
      round.ss2.set(nid, key);
      dsts.push(nid);
      ctxts.push(fernetEncrypt(key, concatSharePlaintext({ src: round.nid, dst: nid, seedShare, sk1Share })));
    });
    return new Map<string, ConfigValue>([
      [KEY.dsts, dsts],
      [KEY.ctxts, ctxts],
    ]);
  }

  /** Keeps the shares sent to this node, trains, then returns the weighted, quantised, masked update (masked on the process's masking threads). */
  private async collectMaskedVectors(round: RoundState, configs: Configs, train: () => Promise<FitOutcome>): Promise<Reply> {
    const stage = 'collect_masked_vectors';
    const { ctxts, srcs } = readCollect(configs, round.peers.size - 1);
    if (ctxts.length + 1 < round.params.threshold)
      fail(stage, KEY.ctxts, `holds ${ctxts.length} shares, too few for threshold ${round.params.threshold}`);
    const peers: Peer[] = srcs.map((src, i) => {
      const key = round.ss2.get(src);
      if (key === undefined) fail(stage, KEY.srcs, `names node ${src}, which is not a neighbour of node ${round.nid}`);
      const plaintext = separateSharePlaintext(fernetDecrypt(key, ctxts[i]!, MAX_CIPHERTEXT_BYTES));
      if (plaintext.src !== src || plaintext.dst !== round.nid)
        fail(stage, KEY.ctxts, `item ${i} is from node ${plaintext.src} to node ${plaintext.dst}, expected ${src} to ${round.nid}`);
      round.seedShares.set(src, plaintext.seedShare);
      round.sk1Shares.set(src, plaintext.sk1Share);
      return { nid: src, pk1: publicKeyFromPem(round.peers.get(src)!.pk1, `pk1 of node ${src}`) };
    });
    const fit = checkFit(await train());
    const masks = maskSeeds(round.nid, round.rdSeed, privateKeyFromPem(round.keys1.privatePem, 'own sk1'), peers);
    const files = await maskedUpdateInThread({ fit, params: round.params, masks, roundingSeed: this.roundingSeed() });
    return new Map<string, ConfigValue>([[KEY.maskedParams, files]]);
  }
}

/** Hands the server this node's shares: of each active neighbour's mask seed, of each dropped neighbour's sk1. */
function unmask(round: RoundState, configs: Configs): Reply {
  const { active, dead } = readUnmask(configs, round.params.sampleNum);
  if (active.length < round.params.threshold)
    fail('unmask', KEY.activeNids, `lists ${active.length} nodes, fewer than the threshold ${round.params.threshold}`);
  const share = (shares: Map<bigint, Uint8Array>, key: string) => (nid: bigint) =>
    shares.get(nid) ?? fail('unmask', key, `names node ${nid}, whose share this node does not hold`);
  return new Map<string, ConfigValue>([
    [KEY.nids, [...active, ...dead]],
    [KEY.shares, [...active.map(share(round.seedShares, KEY.activeNids)), ...dead.map(share(round.sk1Shares, KEY.deadNids))]],
  ]);
}

/** Flower's checks on the neighbour list (every key distinct, this node's own listed unchanged), and every key a P-384 key. */
function checkPeerKeys(round: RoundState, peers: Map<bigint, PeerPublicKeys>): void {
  for (const [nid, { pk1, pk2 }] of peers) {
    publicKeyFromPem(pk1, `SecAgg+ share_keys: "${nid}" pk1`);
    publicKeyFromPem(pk2, `SecAgg+ share_keys: "${nid}" pk2`);
  }
  const all = [...peers.values()].flatMap(({ pk1, pk2 }) => [Buffer.from(pk1).toString('hex'), Buffer.from(pk2).toString('hex')]);
  if (new Set(all).size !== all.length) fail('share_keys', '<public keys>', 'lists one public key twice');
  const own = peers.get(round.nid);
  if (!own || !Buffer.from(own.pk1).equals(round.keys1.publicPem) || !Buffer.from(own.pk2).equals(round.keys2.publicPem))
    fail('share_keys', String(round.nid), "does not list this node's own public keys");
}

function checkFit(fit: FitOutcome): FitOutcome {
  if (!Number.isFinite(fit.numExamples) || fit.numExamples < 0) fail('collect_masked_vectors', 'num_examples', `is ${fit.numExamples}`);
  fit.arrays.forEach((array, i) => {
    if (!array.data.every(Number.isFinite)) fail('collect_masked_vectors', `fitres.parameters[${i}]`, 'holds a NaN or infinite weight');
  });
  return fit;
}
