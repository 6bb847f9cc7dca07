// Runs in the party (plain Node): becoming a node of the federation (register, activate) and ceasing to be one (deactivate, unregister).
import { retry, type RetryInfo } from '../transport/backoff.js';
import type { NodeIdentity } from '../transport/node-identity.js';
import { isRetryableTransportError, TransportError } from '../transport/transport-error.js';
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
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]);

/** What a gateway or a server that is not up answers for it; any other HTTP status came from the server's own routes. */
const GATEWAY_STATUSES = new Set(['HTTP 502', 'HTTP 503', 'HTTP 504']);

/**
 * True when the server itself answered with a refusal, false when it could not be reached (or TLS failed). Flower's
 * REST routes let a handler's refusal through as HTTP 500 ("Public key already in use" included), so 500 is an answer.
 */
export function serverAnswered(error: unknown): boolean {
  if (!(error instanceof TransportError)) return false;
  return error.code.startsWith('HTTP ') ? !GATEWAY_STATUSES.has(error.code) : ANSWERS.has(error.code);
}

/** Waits (with backoff and jitter) until the server is reachable and has activated this node; resolves with its node id. */
export async function joinFederation(options: JoinOptions): Promise<bigint> {
  const { client, identity, heartbeatIntervalSec, signal, onRetry } = options;
  if (options.register) await registerOnce(options);
  let refused = false;
  const activate = async () => {
    try {
      return (await client.activateNode(identity.publicKeyPem, heartbeatIntervalSec, { signal })).nodeId;
    } catch (error) {
      if (serverAnswered(error) && !refused) {
        refused = true;
        options.notice(activationRefused(error as TransportError, identity.fingerprint, heartbeatIntervalSec));
        // A party that lost its connection knows its stale node: ending it at once saves waiting out the patience.
        if (options.previousNodeId !== undefined) await client.deactivateNode(options.previousNodeId, { signal }).catch(() => {});
      }
      throw error;
    }
  };
  // Refusals are retried too: a stale activation lapses after twice the heartbeat interval, and an operator fixing the server
  // should not have to restart every site.
  return retry(activate, { signal, onRetry, isRetryable: (error) => error instanceof TransportError });
}

/** The refusal rarely says why (over REST it is a bare HTTP 500), so the operator is told the two usual reasons. */
function activationRefused({ code, details }: TransportError, fingerprint: string, intervalSec: number): string {
  return (
    `ActivateNode was refused (${code}: ${details}); trying again. Either this node stopped without leaving and the server ` +
    `counts it active until ${2 * intervalSec} s after its last heartbeat, or the server does not know key ${fingerprint} ` +
    '(with register: false, the coordinator registers it first)'
  );
}

/**
 * RegisterNode until the server answers. A refusal is not fatal: the key is usually registered already (a restarted
 * party, a reconnect after the server lost its state comes through here with a fresh registry), and ActivateNode says for sure.
 */
async function registerOnce({ client, identity, signal, onRetry, notice }: JoinOptions): Promise<void> {
  try {
    // Retried only while the server cannot be reached: an HTTP 500 is retryable in general but is Flower's refusal here.
    const unreached = (error: unknown) => isRetryableTransportError(error) && !serverAnswered(error);
    await retry(() => client.registerNode(identity.publicKeyPem, { signal }), { signal, onRetry, isRetryable: unreached });
  } catch (error) {
    if (!serverAnswered(error)) throw error;
    const { code, details } = error as TransportError;
    notice(`RegisterNode was refused (${code}: ${details}); the key is probably registered already, so activating it`);
  }
}

export interface Departure {
  /** UnregisterNode went through: the server will never take this key again (Flower keeps it bound to the old node). */
  unregistered: boolean;
  problems: string[];
}

/** Deactivate, then unregister (when this party registered itself), each tried once: leaving must not hang on a server that is gone. */
export async function leaveFederation(
  client: FleetClient,
  nodeId: bigint,
  options: { unregister: boolean; timeoutMs: number },
): Promise<Departure> {
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
  const unregistered =
    options.unregister && (await once('UnregisterNode', () => client.unregisterNode(nodeId, { timeoutMs: options.timeoutMs })));
  return { unregistered, problems };
}
