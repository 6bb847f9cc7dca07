// Runs in the CLI process (plain Node): a whole federation on this machine: the reference aggregator on loopback
// and one party per site, each with its own training thread.
import path from 'node:path';
import { loadPartyConfig } from '../../config/party-config.js';
import type { OpenedInfo } from '../../engine/train/protocol.js';
import { TrainingRunner } from '../../engine/train/runner.js';
import { Party, type PartyOptions } from '../client/party.js';
import type { PartyEvent } from '../client/party-events.js';
import { Aggregator, type AggregatorResult } from '../server/aggregator.js';
import { AggregatorConfigSchema } from '../server/config.js';
import type { SecAggSectionInput } from '../server/secagg-config.js';
import { FASHION_CLASSES } from './fashion-mnist.js';
import { writeSiteConfig, type Site, type SiteSettings } from './sites.js';
import { timedRunner, type ComputeSpan } from './timed-runner.js';

export interface LocalFederationOptions {
  sites: readonly Site[];
  /** What each site's party.yaml says besides its data and the server's address. */
  settings: Omit<SiteSettings, 'server' | 'transport'>;
  transport: 'grpc' | 'rest';
  rounds: number;
  localEpochs: number;
  /** The aggregator's output folder (a run-* folder of checkpoints and metrics.jsonl goes in it). */
  out: string;
  /** Replies a round needs; default: every site. */
  minNodes?: number;
  roundTimeoutSec?: number;
  /** Where the parties connect instead of the aggregator itself (a byte-counting proxy in front of it, say). */
  route?: (address: string) => Promise<string>;
  /** How each party opens its Fleet transport (a wrapper that counts calls, say); default: gRPC or REST as configured. */
  openTransport?: PartyOptions['openTransport'];
  /** The aggregator's `secagg:` section (`enabled: true` trains under SecAgg+); default: plain FedAvg. */
  secagg?: SecAggSectionInput;
  /** Share of the nodes asked to evaluate each round (default 1; 0 skips federated evaluation). */
  fractionEvaluate?: number;
}

/** One site's party, its training thread, and what it did. */
export interface LocalParty {
  site: Site;
  party: Party;
  runner: TrainingRunner;
  info: OpenedInfo;
  /** Every train and evaluate call, in order: round r is the r-th of each when the party served every round. */
  compute: ComputeSpan[];
  /** Every event but training progress (which comes per batch). */
  events: PartyEvent[];
  /** Decimal, once the party has joined. */
  nodeId: string | null;
}

const LOOPBACK = '127.0.0.1';

export class LocalFederation {
  private constructor(
    private readonly options: LocalFederationOptions,
    public aggregator: Aggregator,
    /** The aggregator's host:port as bound. */
    readonly address: string,
    readonly parties: LocalParty[],
  ) {}

  /** Starts the aggregator (plain text, loopback, a free port), writes each site's party.yaml for it, and joins every party. */
  static async start(options: LocalFederationOptions, onAggregator?: (aggregator: Aggregator) => void): Promise<LocalFederation> {
    const { aggregator, address } = await startAggregator(options, `${LOOPBACK}:0`, onAggregator);
    const routed = options.route ? await options.route(address) : address;
    const server = options.transport === 'rest' ? `http://${routed}` : routed;
    const settings = { ...options.settings, server, transport: options.transport };
    const started = await Promise.allSettled(options.sites.map((site) => startParty(site, settings, options.openTransport)));
    const parties = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (!failed) return new LocalFederation(options, aggregator, address, parties);
    await Promise.all(parties.map((local) => closeParty(local, false)));
    await aggregator.close();
    throw failed.reason;
  }

  run(signal?: AbortSignal): Promise<AggregatorResult> {
    return this.aggregator.run(signal);
  }

  /** A fresh aggregator (a new run, no nodes known) on the same address, as when the coordinator restarts it. */
  async restartAggregator(onAggregator?: (aggregator: Aggregator) => void): Promise<void> {
    await this.aggregator.close();
    this.aggregator = (await startAggregator(this.options, this.address, onAggregator)).aggregator;
  }

  /** Parties leave (finishing the task in hand when `finish`), their threads close, then the aggregator. */
  async close(finish = true): Promise<void> {
    await Promise.all(this.parties.map((local) => closeParty(local, finish)));
    await this.aggregator.close();
  }
}

async function startAggregator(options: LocalFederationOptions, listen: string, onAggregator?: (aggregator: Aggregator) => void) {
  const { settings, transport } = options;
  const config = AggregatorConfigSchema.parse({
    model: { ...settings.model, input_shape: [28, 28, 1], classes: FASHION_CLASSES.length, seed: settings.seed },
    rounds: options.rounds,
    min_nodes: options.minNodes ?? options.sites.length,
    round_timeout: options.roundTimeoutSec ?? 600,
    ...(options.fractionEvaluate !== undefined && { fraction_evaluate: options.fractionEvaluate }),
    ...(options.secagg && { secagg: options.secagg }),
    train: { local_epochs: options.localEpochs, lr: settings.learningRate, batch_size: settings.batchSize },
    listen: transport === 'grpc' ? { grpc: listen, rest: null } : { grpc: null, rest: listen },
    insecure: true,
    out: options.out,
    linger: 0, // its parties are closed with it: there is no one to tell the run finished
  });
  const aggregator = new Aggregator(config, path.resolve(options.out));
  onAggregator?.(aggregator); // before start(), so its first events are seen
  const addresses = await aggregator.start();
  return { aggregator, address: (transport === 'grpc' ? addresses.grpc : addresses.rest)! };
}

async function startParty(site: Site, settings: SiteSettings, openTransport: PartyOptions['openTransport']): Promise<LocalParty> {
  const loaded = await loadPartyConfig(await writeSiteConfig(site, settings));
  const runner = new TrainingRunner();
  try {
    const info = await runner.open({ configFile: loaded.file });
    const compute: ComputeSpan[] = [];
    // replyReadMs 0: the reference aggregator takes each reply as its objects arrive, so nothing is left to be read at leave.
    const party = new Party({
      section: loaded.config.federation!,
      baseDir: loaded.baseDir,
      runner: timedRunner(runner, compute),
      settings: info.settings,
      replyReadMs: 0,
      ...(loaded.config.privacy && { privacy: loaded.config.privacy }),
      ...(openTransport && { openTransport }),
    });
    const local: LocalParty = { site, party, runner, info, compute, events: [], nodeId: null };
    party.on('event', (event) => {
      if (event.type === 'training') return;
      local.events.push(event);
      if (event.type === 'idle' || event.type === 'paused') local.nodeId = event.nodeId;
    });
    await party.join();
    return local;
  } catch (error) {
    await runner.close();
    throw error;
  }
}

async function closeParty({ party, runner }: LocalParty, finish: boolean): Promise<void> {
  await party.leave({ finish }).catch(() => {}); // a party that cannot say goodbye is gone all the same
  await runner.close();
}
