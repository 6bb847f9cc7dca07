// Runs in bench scripts (Node): a federated round's cost split into the parties' local compute and the federation's overhead,
// and its bytes against the raw parameters.
import type { LocalParty } from '../../main/federation/local/local-federation.js';
import type { RoundRecord } from '../../main/federation/server/metrics-history.js';

export interface RoundCost {
  round: number;
  /** The aggregator's round: train phase, averaging, evaluate phase, checkpoint. */
  wallS: number;
  /** The slowest party's train + evaluate, timed around its training thread's calls. */
  computeS: number;
  /** The aggregator's own work between and after the phases: averaging, checkpoint, metrics line. */
  aggregatorS: number;
  /** The slowest party's serving minus its compute: fetching, checking, setting and reading weights, pushing. */
  partyIoS: number;
  traffic: Traffic;
}

/** One round's traffic between the parties and the aggregator. */
export interface Traffic {
  /** TCP bytes both ways. */
  wireBytes: number;
  /** Fleet calls, their protobuf bytes, and those of idle calls (empty polls, heartbeats). */
  calls: number;
  payloadBytes: number;
  idleBytes: number;
}

export const NO_TRAFFIC: Traffic = { wireBytes: 0, calls: 0, payloadBytes: 0, idleBytes: 0 };

/** The traffic between two readings of the running totals. */
export function trafficSince(before: Traffic, now: Traffic): Traffic {
  return {
    wireBytes: now.wireBytes - before.wireBytes,
    calls: now.calls - before.calls,
    payloadBytes: now.payloadBytes - before.payloadBytes,
    idleBytes: now.idleBytes - before.idleBytes,
  };
}

/** Round r of a party is its r-th train and r-th evaluate: every party serves every round here. */
export function roundCost(record: RoundRecord, parties: readonly LocalParty[], traffic: Traffic): RoundCost {
  const r = record.round;
  const perParty = parties.map((local) => {
    const train = local.compute.filter((span) => span.kind === 'train')[r - 1]?.seconds ?? NaN;
    const evaluate = local.compute.filter((span) => span.kind === 'evaluate')[r - 1]?.seconds ?? NaN;
    const served = local.events.reduce((sum, event) => sum + (event.type === 'round' && event.round === r ? event.seconds : 0), 0);
    return { compute: train + evaluate, io: served - train - evaluate };
  });
  const phases = record.train.seconds + (record.evaluate?.seconds ?? 0);
  return {
    round: r,
    wallS: record.seconds,
    computeS: Math.max(...perParty.map((p) => p.compute)),
    aggregatorS: record.seconds - phases,
    partyIoS: Math.max(...perParty.map((p) => p.io)),
    traffic,
  };
}

export interface CostSummary {
  round_s: number;
  compute_s: number;
  overhead_s: number;
  /** Overhead over the round, summed over the rounds measured. */
  overhead_fraction: number;
  aggregator_s: number;
  party_io_s: number;
  wire_bytes_per_round: number;
  /** Parameters x 4 bytes x parties x 3: train down and up, evaluate down (an evaluate reply holds metrics only). */
  raw_bytes_per_round: number;
  wire_vs_raw: number;
  calls_per_round: number;
  /** Protobuf bodies of every call: the wire bytes without gRPC/HTTP framing and headers. */
  payload_vs_raw: number;
  idle_bytes_per_round: number;
}

export function summarise(costs: readonly RoundCost[], parameters: number, parties: number): CostSummary {
  const mean = (pick: (cost: RoundCost) => number) => costs.reduce((sum, cost) => sum + pick(cost), 0) / costs.length;
  const raw = parameters * 4 * parties * 3;
  const [wall, compute] = [mean((c) => c.wallS), mean((c) => c.computeS)];
  return {
    round_s: round(wall, 2),
    compute_s: round(compute, 2),
    overhead_s: round(wall - compute, 3),
    overhead_fraction: round((wall - compute) / wall, 4),
    aggregator_s: round(
      mean((c) => c.aggregatorS),
      3,
    ),
    party_io_s: round(
      mean((c) => c.partyIoS),
      3,
    ),
    wire_bytes_per_round: Math.round(mean((c) => c.traffic.wireBytes)),
    raw_bytes_per_round: raw,
    wire_vs_raw: round(mean((c) => c.traffic.wireBytes) / raw, 4),
    calls_per_round: Math.round(mean((c) => c.traffic.calls)),
    payload_vs_raw: round(mean((c) => c.traffic.payloadBytes) / raw, 4),
    idle_bytes_per_round: Math.round(mean((c) => c.traffic.idleBytes)),
  };
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
