// Runs in the aggregator (plain Node): the reference aggregator: Fleet API servers over one link state, and FedAvg rounds driving it.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NamedArray } from '../../engine/weights.js';
import { startGrpcServer } from '../transport/grpc-server.js';
import { startRestServer } from '../transport/rest-server.js';
import { hostPort, type FleetServer } from '../transport/server-options.js';
import { callBytes, messageLimits, type MessageLimits } from '../wire/limits.js';
import type { AggregatorConfig } from './config.js';
import { AggregatorEvents } from './events.js';
import { fleetService } from './fleet-service.js';
import { runFedAvg } from './fedavg-rounds.js';
import { buildGlobalModel, saveTfjsModel, type GlobalModel } from './initial-model.js';
import { LinkState } from './link-state.js';
import type { RoundRecord } from './metrics-history.js';
import { NodeRegistry } from './node-registry.js';
import type { SecAggSection } from './secagg-config.js';
import { secAggReplyLimits, widestLimits } from './secagg-limits.js';
import { ObjectStore } from './object-store.js';

export interface AggregatorAddresses {
  /** `host:port` as bound (a configured port 0 becomes the real one). */
  grpc?: string;
  rest?: string;
  /** This run's folder: checkpoints/, metrics.jsonl, final/model.json. */
  runDir: string;
}

export interface AggregatorResult {
  records: RoundRecord[];
  weights: NamedArray[];
  runDir: string;
  /** The final global model as a tfjs Layers model.json (weights beside it). */
  finalModel: string;
}

/** How often a lingering aggregator looks whether every node has heard the run finished. */
const LINGER_POLL_MS = 100;

/** Subscribe to `events` first, then start() (binds the ports), run() the rounds, and close() in a finally. */
export class Aggregator {
  readonly events = new AggregatorEvents();
  readonly state = new LinkState(new NodeRegistry(), new ObjectStore());
  private readonly servers: FleetServer[] = [];
  private global?: GlobalModel;
  private runDir?: string;

  constructor(
    private readonly config: AggregatorConfig,
    /** Relative paths in the config (model, TLS files, out) resolve against it. */
    private readonly baseDir: string,
  ) {}

  async start(): Promise<AggregatorAddresses> {
    this.global = await buildGlobalModel(this.config.model, this.baseDir);
    this.runDir = await createRunDir(path.resolve(this.baseDir, this.config.out));
    const parameters = this.global.weights.reduce((sum, w) => sum + w.data.length, 0);
    this.events.log(
      'info',
      `global model: ${this.global.weights.length} arrays, ${parameters} parameters; run ${this.state.runId}; writing to ${this.runDir}`,
    );
    if (this.config.insecure) {
      this.events.log(
        'warn',
        'INSECURE: serving the Fleet API in plain text (--insecure). ' +
          "Anyone on the network path can read and alter the global model and every party's update. " +
          'Use TLS (--tls-cert, --tls-key) outside a test bench.',
      );
    }
    const addresses: AggregatorAddresses = { runDir: this.runDir };
    // A node's calls are held to what a reply for the global model can need: one object per PushObject, one tree per PushMessages.
    const shapes = this.global.weights.map((weight) => weight.shape);
    const limits = this.config.secagg.enabled ? widestLimits(messageLimits(shapes), secAggReplyLimits(shapes)) : messageLimits(shapes);
    if (this.config.secagg.enabled) this.events.log('info', secAggLine(this.config.secagg));
    for (const transport of ['grpc', 'rest'] as const) {
      const address = this.config.listen[transport];
      if (address) addresses[transport] = await this.listen(transport, address, limits);
    }
    return addresses;
  }

  /** The rounds, then the run is finished: GetRun says so from then on, and the aggregator lingers briefly for nodes to learn it. */
  async run(signal?: AbortSignal): Promise<AggregatorResult> {
    const result = await this.runRounds(signal).catch((error: unknown) => {
      this.state.finish(signal?.aborted ? 'stopped' : 'failed');
      throw error;
    });
    this.state.finish('completed');
    await this.linger(signal);
    return result;
  }

  private async runRounds(signal?: AbortSignal): Promise<AggregatorResult> {
    if (!this.global || !this.runDir) throw new Error('Aggregator.run: call start() first');
    const { config } = this;
    const plan = {
      rounds: config.rounds,
      minNodes: config.min_nodes,
      fraction: config.fraction,
      fractionEvaluate: config.fraction_evaluate,
      roundTimeoutMs: config.round_timeout * 1000,
      train: { localEpochs: config.train.local_epochs, lr: config.train.lr, batchSize: config.train.batch_size },
      secagg: config.secagg,
    };
    const files = { checkpointsDir: path.join(this.runDir, 'checkpoints'), metricsFile: path.join(this.runDir, 'metrics.jsonl') };
    const { weights, records } = await runFedAvg(this.state, this.events, this.global.weights, plan, files, signal);
    const finalModel = await saveTfjsModel(this.global, weights, path.join(this.runDir, 'final'));
    this.events.log(
      'info',
      `done: ${records.filter((r) => r.status === 'completed').length} of ${records.length} rounds completed; final model ${finalModel}`,
    );
    return { records, weights, runDir: this.runDir, finalModel };
  }

  /**
   * A party learns the run finished by asking (GetRun) while it waits for work; once the aggregator has exited, all
   * it would see is a refused connection. So it stays up until every online node has asked, or `linger` seconds.
   */
  private async linger(signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.config.linger * 1000;
    const waiting = () => this.state.registry.onlineNodeIds().filter((nodeId) => !this.state.toldFinished.has(nodeId));
    if (this.config.linger > 0 && waiting().length)
      this.events.log('info', `run ${this.state.runId} finished; answering up to ${this.config.linger} s more so the nodes learn it`);
    while (waiting().length && Date.now() < deadline && !signal?.aborted) await sleep(LINGER_POLL_MS);
    const unaware = waiting();
    if (this.config.linger > 0 && unaware.length)
      this.events.log(
        'warn',
        `${unaware.length} online node(s) did not ask for the finished run before the aggregator stopped waiting: ${unaware.join(', ')}`,
      );
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((server) => server.close(1_000)));
    this.global?.model.dispose();
  }

  private async listen(transport: 'grpc' | 'rest', address: string, limits: MessageLimits): Promise<string> {
    const split = address.lastIndexOf(':');
    const host = address.slice(0, split).replace(/^\[(.*)\]$/, '$1');
    const tls = this.config.tls;
    const options = {
      host,
      port: Number(address.slice(split + 1)),
      ...(tls ? { certFile: path.resolve(this.baseDir, tls.cert), keyFile: path.resolve(this.baseDir, tls.key) } : { insecure: true }),
      onInternalError: (error: unknown, rpc: string) =>
        this.events.log('error', `${rpc} failed inside the aggregator: ${(error as Error).stack ?? String(error)}`),
    };
    const calls = callBytes(limits);
    const handler = fleetService({ state: this.state, events: this.events, limits });
    const served = { ...options, maxRequestBytes: Math.max(calls.object, calls.other) };
    const server = await (transport === 'grpc' ? startGrpcServer(handler, served) : startRestServer(handler, served));
    this.servers.push(server);
    const bound = hostPort(host, server.port);
    this.events.emit({ type: 'listening', transport, address: bound, tls: Boolean(tls) });
    return bound;
  }
}

function secAggLine(secagg: SecAggSection): string {
  return (
    `secure aggregation: SecAgg+ (num_shares ${secagg.num_shares}, reconstruction_threshold ${secagg.reconstruction_threshold}, ` +
    `max_weight ${secagg.max_weight}, clipping_range ${secagg.clipping_range}): the aggregator sees only the sum of each round's updates`
  );
}

/** `run-20260101-120000` under the output folder (a suffix if two runs start in the same second): runs never mix. */
async function createRunDir(outDir: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  await mkdir(outDir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const dir = path.join(outDir, `run-${stamp}${attempt > 1 ? `-${attempt}` : ''}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
