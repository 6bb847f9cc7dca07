// Runs anywhere in main: the one interface every Fleet client transport has, and the options that pick one.
import type { NodeIdentity } from './node-identity.js';
import type { FleetRpc } from './rpc.js';

export type TransportKind = 'grpc' | 'rest';

export interface CallOptions {
  /** Give up after this long with a retryable DEADLINE_EXCEEDED; no limit when absent. */
  timeoutMs?: number;
  /** Aborting rejects the call with the signal's reason and cancels it on the wire. */
  signal?: AbortSignal;
  /** The most bytes the answer may bring; a bigger one fails with TOO_LARGE (default: the transport's `maxAnswerBytes`). */
  maxAnswerBytes?: number;
}

/** Moves one request's bytes to the server and its response's bytes back; knows nothing of the messages. */
export interface FleetTransport {
  readonly kind: TransportKind;
  call(rpc: FleetRpc, request: Uint8Array, options?: CallOptions): Promise<Uint8Array>;
  /** Releases the connections; later calls fail with a CLOSED TransportError that is not retryable. */
  close(): void;
}

/**
 * How to reach the server. TLS with the system's root certificates unless `rootCertificatesFile` names the
 * site's CA bundle (PEM); plain text only with `insecure: true`, and never both.
 */
export interface TransportSecurity {
  rootCertificatesFile?: string;
  insecure?: boolean;
  /** SHA-256 of the CA an invitation pinned (`AB:CD:…`): the CA file must hold it, and the server's chain must lead to it. */
  pinnedCaSha256?: string;
}

/** The most bytes any answer may bring (over gRPC the channel's receive limit); default 1 GiB. */
export interface AnswerLimit {
  maxAnswerBytes?: number;
}

export const DEFAULT_MAX_ANSWER_BYTES = 2 ** 30;

export type TransportOptions = TransportSecurity &
  AnswerLimit &
  /** `address` is `host:port` (Flower's SuperLink listens for gRPC on 9092). */
  (
    | { kind: 'grpc'; address: string; identity: NodeIdentity }
    /** `address` is `host:port` or an `http(s)://host:port` URL (Flower's REST Fleet API listens on 9095). */
    | { kind: 'rest'; address: string }
  );
