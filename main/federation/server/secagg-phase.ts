// Runs in the aggregator (plain Node): a round's training under SecAgg+, the four stages of Flower's SecAggPlusWorkflow over the link state.
import { randomBytes } from 'node:crypto';

import type { NamedArray } from '../../engine/weights.js';
import { SecAggError } from '../secagg/errors.js';
import { addInPlace, type IntVector } from '../secagg/modular.js';
import { KEY, RECORD_KEY_CONFIGS, type Stage } from '../secagg/protocol.js';
import type { AnyNdArray } from '../wire/npy/dtypes.js';
import {
  arrayRecord,
  configRecord,
  recordDict,
  type AnyRecord,
  type ConfigValue,
  type Message,
  type RecordDict,
} from '../wire/records/model.js';
import type { AggregatorEvents } from './events.js';
import { totalExamples, weightedMetrics, type Metrics } from './fedavg.js';
import { waitForNodes, type PhasePlan } from './fedavg-phase.js';
import type { LinkState } from './link-state.js';
import type { PhaseRecord, SecAggRecord, SecAggStageRecord } from './metrics-history.js';
import type { PhaseContent } from './instructions.js';
import { runPhase } from './round-phase.js';
import { sampleNodes, sampleSize } from './sampling.js';
import { neighbourRing, roundParams, roundProblem, type SecAggRoundParams, type SecAggSection } from './secagg-config.js';
import { secAggReplyLimits } from './secagg-limits.js';
import {
  orReason,
  readCollectReply,
  readSetupReply,
  readShareKeysReply,
  readUnmaskReply,
  type PublicKeys,
  type SharedKeys,
} from './secagg-replies.js';
import { unmaskAggregate } from './secagg-unmask.js';

export interface SecAggPhasePlan extends PhasePlan {
  secagg: SecAggSection;
}

export interface SecAggOutcome {
  record: PhaseRecord;
  secagg: SecAggRecord;
  /** The new global model; absent when the round failed. */
  weights?: NamedArray[];
  failure?: string;
}

/** The round cannot go on; the text says at which stage and why. */
class RoundFailed extends Error {}

/** Waits for nodes and samples them as FedAvg's train phase does, then runs the four stages; a failure is the round's, not the aggregator's. */
export async function runSecAggPhase(state: LinkState, events: AggregatorEvents, plan: SecAggPhasePlan): Promise<SecAggOutcome> {
  const size = sampleSize(state.registry.onlineNodeIds().length, plan.fraction, plan.minNodes);
  const online = await waitForNodes(state, events, Math.max(plan.minNodes, size), plan);
  // sampleNodes shuffles: the order is the ring of neighbours, as Flower's random.shuffle of the sampled ids.
  const sampled = sampleNodes(online, size, cryptoRandom);
  events.emit({ type: 'phase-started', round: plan.round, phase: 'train', sampled: sampled.map(String), online: online.length });
  const round = new SecAggRound(state, events, plan, sampled);
  const started = performance.now();
  let weights: NamedArray[] | undefined;
  let failure: string | undefined;
  try {
    weights = await round.run();
  } catch (error) {
    if (!(error instanceof RoundFailed || error instanceof SecAggError)) throw error;
    failure = error.message;
  }
  round.record.seconds = (performance.now() - started) / 1000;
  return { record: round.record, secagg: round.secagg, ...(weights && { weights }), ...(failure && { failure }) };
}

interface Collected {
  numExamples: number;
  metrics: Metrics;
}

class SecAggRound {
  readonly record: PhaseRecord;
  readonly secagg: SecAggRecord;
  private readonly params: SecAggRoundParams;
  private readonly neighbours: Map<bigint, Set<bigint>>;
  private readonly shapes: number[][];

  constructor(
    private readonly state: LinkState,
    private readonly events: AggregatorEvents,
    private readonly plan: SecAggPhasePlan,
    private readonly sampled: bigint[],
  ) {
    this.params = roundParams(plan.secagg, sampled.length);
    this.neighbours = neighbourRing(sampled, this.params.shareNum);
    this.shapes = plan.weights.map((weight) => [...weight.shape]);
    this.record = { sampled: sampled.map(String), replied: [], dropped: [], refused: [], num_examples: 0, metrics: {}, seconds: 0 };
    this.secagg = { share_num: this.params.shareNum, threshold: this.params.threshold, recovered: [], stages: [] };
  }

  async run(): Promise<NamedArray[]> {
    const problem = roundProblem(this.params);
    if (problem) throw new RoundFailed(`SecAgg+ setup: ${problem}`);
    const keys = await this.setup();
    const shared = await this.shareKeys(keys);
    const { sum, active } = await this.collect(shared);
    const dead = new Set([...shared.keys()].filter((nid) => !active.has(nid)));
    this.secagg.recovered = [...dead].map(String);
    const shares = await this.unmask(active, dead);
    const pk1 = new Map([...keys].map(([nid, { pk1 }]) => [nid, pk1]));
    const aggregate = unmaskAggregate({ sum, active, dead, neighbours: this.neighbours, pk1, shares, params: this.params });
    return this.plan.weights.map((weight, i) => ({ ...weight, shape: [...weight.shape], data: Float32Array.from(aggregate[i]!) }));
  }

  private async setup(): Promise<Map<bigint, PublicKeys>> {
    const p = this.params;
    const configs = new Map<string, ConfigValue>([
      [KEY.stage, 'setup'],
      [KEY.sampleNum, BigInt(p.sampleNum)],
      [KEY.shareNum, BigInt(p.shareNum)],
      [KEY.threshold, BigInt(p.threshold)],
      [KEY.clippingRange, p.clippingRange],
      [KEY.targetRange, BigInt(p.targetRange)],
      [KEY.modRange, BigInt(p.modRange)],
      [KEY.maxWeight, p.maxWeight],
    ]);
    const seen = new Set<string>();
    const keys = await this.stage('setup', this.sampled, secAggContent(configs), (message) => {
      const reply = readSetupReply(message);
      const texts = [reply.pk1, reply.pk2].map((pk) => Buffer.from(pk).toString('hex'));
      if (texts.some((text) => seen.has(text))) return 'SecAgg+ setup: "pk1"/"pk2" repeat another node\'s public key';
      texts.forEach((text) => seen.add(text));
      return reply;
    });
    this.checkThreshold('setup', new Set(keys.keys()), keys.keys());
    return keys;
  }

  /** Each node gets its neighbours' public keys and returns one encrypted share for every neighbour but itself. */
  private async shareKeys(keys: Map<bigint, PublicKeys>): Promise<Map<bigint, SharedKeys>> {
    const live = new Set(keys.keys());
    const around = (nid: bigint) => [...this.neighbours.get(nid)!].filter((id) => live.has(id));
    const content = (nid: bigint) =>
      secAggContent(
        new Map<string, ConfigValue>([
          ...around(nid).map((id): [string, ConfigValue] => [String(id), [keys.get(id)!.pk1, keys.get(id)!.pk2]]),
          [KEY.stage, 'share_keys'],
        ]),
      );
    const shared = await this.stage('share_keys', [...live], content, (message, nid) =>
      readShareKeysReply(message, new Set(around(nid).filter((id) => id !== nid))),
    );
    this.checkThreshold('share_keys', new Set(shared.keys()), shared.keys());
    return shared;
  }

  /** Forwards each node the shares addressed to it with the FitIns; the masked vectors are added up as they arrive. */
  private async collect(shared: Map<bigint, SharedKeys>): Promise<{ sum: IntVector[]; active: Map<bigint, number> }> {
    const inbox = new Map([...shared.keys()].map((nid) => [nid, { ctxts: [] as Uint8Array[], srcs: [] as bigint[] }]));
    for (const [src, { dsts, ctxts }] of shared)
      dsts.forEach((dst, i) => {
        const box = inbox.get(dst);
        if (!box) return; // a neighbour that did not share its own keys is out of the round
        box.ctxts.push(ctxts[i]!);
        box.srcs.push(src);
      });
    const fitins = legacyFitIns(this.plan);
    const content = (nid: bigint) => {
      const box = inbox.get(nid)!;
      const configs = new Map<string, ConfigValue>([
        [KEY.stage, 'collect_masked_vectors'],
        [KEY.ctxts, box.ctxts],
        [KEY.srcs, box.srcs],
      ]);
      return recordDict([...fitins, [RECORD_KEY_CONFIGS, configRecord(configs)]]);
    };
    let sum: IntVector[] | undefined;
    const collected = await this.stage('collect_masked_vectors', [...shared.keys()], content, (message, nid) => {
      const update = readCollectReply(message, this.shapes, this.params.modRange);
      if (sum) update.vectors.forEach((vector, i) => addInPlace(sum![i]!, vector, this.params.modRange));
      else sum = update.vectors;
      const { numExamples, metrics } = update;
      this.events.emit({ type: 'node-replied', round: this.plan.round, phase: 'train', node: String(nid), numExamples, metrics });
      return { numExamples: update.numExamples, metrics: update.metrics };
    });
    this.summarise(collected);
    this.checkThreshold('collect_masked_vectors', new Set(collected.keys()), shared.keys());
    if (collected.size < this.plan.minNodes)
      throw new RoundFailed(
        `SecAgg+ collect_masked_vectors: only ${collected.size} of ${this.sampled.length} sampled nodes sent a masked update ` +
          `(at least ${this.plan.minNodes} needed)`,
      );
    return { sum: sum!, active: new Map([...collected].map(([nid, { numExamples }]) => [nid, numExamples])) };
  }

  /** Asks each summed node for its shares: of each active neighbour's seed, of each dropped neighbour's private key. */
  private async unmask(active: Map<bigint, number>, dead: Set<bigint>): Promise<Map<bigint, Uint8Array[]>> {
    const pick = (nid: bigint, ids: ReadonlySet<bigint> | ReadonlyMap<bigint, unknown>) =>
      [...this.neighbours.get(nid)!].filter((id) => ids.has(id));
    const content = (nid: bigint) =>
      secAggContent(
        new Map<string, ConfigValue>([
          [KEY.stage, 'unmask'],
          [KEY.activeNids, pick(nid, active)],
          [KEY.deadNids, pick(nid, dead)],
        ]),
      );
    const replies = await this.stage('unmask', [...active.keys()], content, (message, nid) =>
      readUnmaskReply(message, new Set([...pick(nid, active), ...pick(nid, dead)])),
    );
    const shares = new Map<bigint, Uint8Array[]>();
    for (const held of replies.values()) for (const [owner, share] of held) shares.set(owner, [...(shares.get(owner) ?? []), share]);
    return shares;
  }

  /**
   * One stage: the message to each node, its reply judged as it arrives; nodes that drop or whose reply is refused
   * are out of the round from here on, named in the round's record with the stage.
   */
  private async stage<T extends object>(
    stage: Stage,
    nodes: bigint[],
    content: PhaseContent,
    read: (message: Message, nid: bigint) => T | string,
  ): Promise<Map<bigint, T>> {
    const { round } = this.plan;
    const started = performance.now();
    const result = await runPhase<T>(this.state, {
      nodes,
      content,
      messageType: 'train',
      round,
      timeoutMs: this.plan.timeoutMs,
      limits: secAggReplyLimits(this.shapes),
      signal: this.plan.signal,
      judge: (message, nid) => {
        const verdict = orReason(() => read(message, nid));
        if (typeof verdict === 'string') {
          this.events.emit({ type: 'reply-refused', round, phase: 'train', node: String(nid), reason: verdict });
          this.events.log('warn', `round ${round} train: reply from node ${nid} refused: ${verdict}`);
        }
        return verdict;
      },
      onDropped: ({ node, reason }) => {
        const problem = { node, reason: `SecAgg+ ${stage}: ${reason}` };
        this.record.dropped.push(problem);
        this.events.emit({ type: 'node-dropped', round, phase: 'train', ...problem });
        this.events.log('warn', `round ${round} train: node ${node} dropped: ${problem.reason}`);
      },
    });
    this.record.refused.push(...result.refused);
    const stageRecord: SecAggStageRecord = {
      stage,
      asked: nodes.length,
      replied: result.accepted.length,
      seconds: (performance.now() - started) / 1000,
    };
    this.secagg.stages.push(stageRecord);
    this.events.log('info', `round ${round} SecAgg+ ${stage}: ${stageRecord.replied} of ${stageRecord.asked} nodes answered`);
    return new Map(result.accepted.map(({ node, value }) => [node, value]));
  }

  /** Flower's _check_threshold: every node whose secrets may be needed keeps at least threshold live neighbours to hold its shares. */
  private checkThreshold(stage: Stage, live: ReadonlySet<bigint>, nodes: Iterable<bigint>): void {
    for (const nid of nodes) {
      const held = [...this.neighbours.get(nid)!].filter((id) => live.has(id)).length;
      if (held < this.params.threshold)
        throw new RoundFailed(
          `SecAgg+ ${stage}: node ${nid} has ${held} live neighbours left (itself included), fewer than the reconstruction threshold ` +
            `${this.params.threshold}: its masks could not be removed, so the round stops (${live.size} of ${this.sampled.length} sampled nodes left)`,
        );
    }
  }

  private summarise(collected: Map<bigint, Collected>): void {
    const replies = [...collected.values()];
    this.record.replied = [...collected.keys()].map(String);
    this.record.num_examples = totalExamples(replies);
    this.record.metrics = weightedMetrics(replies);
    for (const [nid, { numExamples }] of collected)
      if (numExamples > this.params.maxWeight)
        this.events.log(
          'warn',
          `round ${this.plan.round}: node ${nid} trained on ${numExamples} examples, more than secagg.max_weight ${this.params.maxWeight}: ` +
            `its weights were scaled by ${(numExamples / this.params.maxWeight).toFixed(2)} before clipping to +-${this.params.clippingRange}`,
        );
  }
}

function secAggContent(configs: Map<string, ConfigValue>): RecordDict {
  return recordDict([[RECORD_KEY_CONFIGS, configRecord(configs)]]);
}

/** Flower's compat FitIns, as SecAggPlusWorkflow sends it: the global weights as arrays "0", "1", ... and the round's config. */
function legacyFitIns(plan: PhasePlan): [string, AnyRecord][] {
  const arrays = plan.weights.map((w, i): [string, AnyNdArray] => [String(i), { dtype: 'float32', shape: [...w.shape], data: w.data }]);
  const config = configRecord({
    'server-round': BigInt(plan.round),
    'local-epochs': BigInt(plan.train.localEpochs),
    lr: plan.train.lr,
    'batch-size': BigInt(plan.train.batchSize),
  });
  return [
    ['fitins.parameters', arrayRecord(arrays)],
    ['fitins.config', config],
  ];
}

/** Uniform in [0, 1) from node:crypto: which nodes are neighbours should not be predictable. */
function cryptoRandom(): number {
  return randomBytes(4).readUInt32LE() / 2 ** 32;
}
