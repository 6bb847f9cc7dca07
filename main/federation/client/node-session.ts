// Runs in the party (plain Node): becoming a node of the federation (register, activate) and ceasing to be one (deactivate, unregister).
import { retry, type RetryInfo } from '../transport/backoff.js';
import type { NodeIdentity } from '../transport/node-identity.js';
import { TransportError } from '../transport/transport-error.js';
import type { FleetClient } from './fleet-client.js';

export interface JoinOptions {
  client: FleetClient;
  identity: NodeIdentity;
  heartbeatIntervalSec: number;
  /** False when the server manages node keys (SuperLink --enable-supernode-auth): it refuses RegisterNode then. */
  register: boolean;
  /** The node id this key had before, if the party knows it: a stale activation of it is deactivated first. */
  previousNodeId?: bigint;
  signal: AbortSignal;
  onRetry: (info: RetryInfo) => void;
  notice: (message: string) => void;
}

/** gRPC statuses only a server's handler gives (UNKNOWN: Flower's SuperLink raised); UNAVAILABLE, DEADLINE_EXCEEDED and CANCELLED come from the network too. */
const ANSWERS = new Set([
  'UNKNOWN', 'INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION',
  'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'DATA_LOSS', 'UNAUTHENTICATED',
]);

/** True when the server itself answered with a refusal, false when it could not be reached (or TLS failed). */
export function serverAnswered(error: unknown): boolean {
  return error instanceof TransportError && (error.code.startsWith('HTTP ') || ANSWERS.has(error.code));
}

/** Waits (with backoff and jitter) until the server is reachable and has activated this node; resolves with its node id. */
export async function joinFederation(options: JoinOptions): Promise<bigint> {
  const { client, identity, heartbeatIntervalSec, signal, onRetry } = options;
  if (options.register) await registerOnce(options);
  let staleDeactivated = false;
  const activate = async () => {
    try {
      return (await client.activateNode(identity.publicKeyPem, heartbeatIntervalSec, { signal })).nodeId;
    } catch (error) {
      // A party killed and restarted finds its node still online at the server until the heartbeat patience runs out.
      if (serverAnswered(error) && options.previousNodeId !== undefined && !staleDeactivated) {
        staleDeactivated = true;
        await client.deactivateNode(options.previousNodeId, { signal }).catch(() => {});
      }
      throw error;
    }
  };
  // Refusals are retried too: a stale activation lapses after twice the heartbeat interval, and an operator fixing the server should not have to restart every site.
  return retry(activate, { signal, onRetry, isRetryable: (error) => error instanceof TransportError });
}

/**
 * RegisterNode until the server answers. A refusal is not fatal: the key is usually registered already (a restarted
 * party, a reconnect after the server lost its state comes through here with a fresh registry), and ActivateNode says for sure.
 */
async function registerOnce({ client, identity, signal, onRetry, notice }: JoinOptions): Promise<void> {
  try {
    await retry(() => client.registerNode(identity.publicKeyPem, { signal }), { signal, onRetry });
  } catch (error) {
    if (!serverAnswered(error)) throw error;
    notice(`RegisterNode was refused (${(error as Error).message}); the key is probably registered already, so activating it`);
  }
}

export interface Departure {
  /** UnregisterNode went through: the server will never take this key again (Flower keeps it bound to the old node). */
  unregistered: boolean;
  problems: string[];
}

/** Deactivate, then unregister (when this party registered itself), each tried once: leaving must not hang on a server that is gone. */
export async function leaveFederation(client: FleetClient, nodeId: bigint, options: { unregister: boolean; timeoutMs: number }): Promise<Departure> {
  const problems: string[] = [];
  const once = async (what: string, call: () => Promise<void>): Promise<boolean> => {
    try {
      await call();
      return true;
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
      return false;
    }
  };
  await once('DeactivateNode', () => client.deactivateNode(nodeId, { timeoutMs: options.timeoutMs }));
  const unregistered = options.unregister && (await once('UnregisterNode', () => client.unregisterNode(nodeId, { timeoutMs: options.timeoutMs })));
  return { unregistered, problems };
}
