// Runs in the aggregator (plain Node): the nodes Flower's link state keeps: key -> id, status, and "online until" from heartbeats.
import { randomBytes } from 'node:crypto';
import { FleetRpcError } from '../transport/fleet-handler.js';

/** The SuperLink's own node id: the source of every instruction and the destination of every reply. */
export const SUPERLINK_NODE_ID = 1n;
/** Flower's HEARTBEAT_MIN_INTERVAL and HEARTBEAT_MAX_INTERVAL, in seconds. */
const HEARTBEAT_INTERVAL_S = { min: 10, max: 1800 } as const;
/** A node stays online for this many intervals after a heartbeat (Flower's HEARTBEAT_PATIENCE: one missed beat is forgiven). */
export const HEARTBEAT_PATIENCE = 2;

export type NodeStatus = 'registered' | 'online' | 'offline' | 'unregistered';

interface NodeEntry {
  nodeId: bigint;
  status: NodeStatus;
  /** Milliseconds since the epoch; meaningful while online. */
  onlineUntil: number;
}

/** A random uint64, as Flower draws node ids (8 random bytes). */
export function randomNodeId(): bigint {
  return randomBytes(8).readBigUInt64LE();
}

/**
 * Mirrors Flower 1.29's in-memory link state: a key stays bound to its node for the life of the aggregator, even
 * after UnregisterNode (re-registering it is refused), and a node is online only until its heartbeat window ends.
 */
export class NodeRegistry {
  private readonly nodes = new Map<bigint, NodeEntry>();
  private readonly idByKey = new Map<string, bigint>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly newNodeId: () => bigint = randomNodeId,
  ) {}

  register(publicKey: Uint8Array): bigint {
    const key = keyText(publicKey);
    if (this.idByKey.has(key)) throw new FleetRpcError('FAILED_PRECONDITION', 'Public key already in use');
    let nodeId = this.newNodeId();
    // 0 means "unset" on the wire and 1 is the SuperLink: Flower draws again for those, and so for a collision.
    while (nodeId <= SUPERLINK_NODE_ID || this.nodes.has(nodeId)) nodeId = this.newNodeId();
    this.nodes.set(nodeId, { nodeId, status: 'registered', onlineUntil: 0 });
    this.idByKey.set(key, nodeId);
    return nodeId;
  }

  /** The node a key belongs to, unless it unregistered (Flower's get_node_id_by_public_key). */
  nodeIdForKey(publicKey: Uint8Array): bigint | undefined {
    const nodeId = this.idByKey.get(keyText(publicKey));
    return nodeId !== undefined && this.nodes.get(nodeId)?.status !== 'unregistered' ? nodeId : undefined;
  }

  /** Only a registered or offline node activates: a node still inside its heartbeat window must wait for it to end. */
  activate(publicKey: Uint8Array, heartbeatIntervalS: number): bigint {
    const nodeId = this.nodeIdForKey(publicKey);
    if (nodeId === undefined) throw new FleetRpcError('FAILED_PRECONDITION', 'No SuperNode found with the given public key.');
    checkHeartbeatInterval(heartbeatIntervalS);
    const node = this.refreshed(nodeId)!;
    if (node.status !== 'registered' && node.status !== 'offline') {
      throw new FleetRpcError(
        'FAILED_PRECONDITION',
        `SuperNode with node ID ${nodeId} could not be activated: it is still online (until ${new Date(node.onlineUntil).toISOString()})`,
      );
    }
    this.goOnline(node, heartbeatIntervalS);
    return nodeId;
  }

  deactivate(nodeId: bigint): void {
    const node = this.refreshed(nodeId);
    if (node?.status !== 'online')
      throw new FleetRpcError(
        'FAILED_PRECONDITION',
        `SuperNode with node ID ${nodeId} could not be deactivated: it is ${node?.status ?? 'unknown'}`,
      );
    node.status = 'offline';
    node.onlineUntil = this.now();
  }

  unregister(nodeId: bigint): void {
    const node = this.nodes.get(nodeId);
    if (!node || node.status === 'unregistered') {
      throw new FleetRpcError('FAILED_PRECONDITION', `Node ID ${nodeId} already unregistered, not found or the request was unauthorized.`);
    }
    node.status = 'unregistered';
    node.onlineUntil = Math.min(node.onlineUntil, this.now());
  }

  /** False for an unknown or unregistered node; an offline node comes back online, as in Flower. */
  heartbeat(nodeId: bigint, heartbeatIntervalS: number): boolean {
    checkHeartbeatInterval(heartbeatIntervalS);
    const node = this.nodes.get(nodeId);
    if (!node || node.status === 'unregistered') return false;
    this.goOnline(node, heartbeatIntervalS);
    return true;
  }

  isOnline(nodeId: bigint): boolean {
    return this.refreshed(nodeId)?.status === 'online';
  }

  status(nodeId: bigint): NodeStatus | undefined {
    return this.refreshed(nodeId)?.status;
  }

  onlineNodeIds(): bigint[] {
    return [...this.nodes.keys()].filter((nodeId) => this.isOnline(nodeId));
  }

  private goOnline(node: NodeEntry, heartbeatIntervalS: number): void {
    node.status = 'online';
    node.onlineUntil = this.now() + HEARTBEAT_PATIENCE * heartbeatIntervalS * 1000;
  }

  /** The entry with an expired heartbeat window turned offline first, as Flower tags nodes before reading them. */
  private refreshed(nodeId: bigint): NodeEntry | undefined {
    const node = this.nodes.get(nodeId);
    if (node?.status === 'online' && node.onlineUntil <= this.now()) node.status = 'offline';
    return node;
  }
}

function checkHeartbeatInterval(seconds: number): void {
  if (!(seconds >= HEARTBEAT_INTERVAL_S.min && seconds <= HEARTBEAT_INTERVAL_S.max)) {
    throw new FleetRpcError(
      'INVALID_ARGUMENT',
      `Invalid heartbeat interval: ${seconds} s is out of bounds [${HEARTBEAT_INTERVAL_S.min}, ${HEARTBEAT_INTERVAL_S.max}]`,
    );
  }
}

function keyText(publicKey: Uint8Array): string {
  return Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64');
}
