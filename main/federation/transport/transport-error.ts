// Runs anywhere in main: TransportError, the one failure a Fleet call reports, and which failures are worth retrying.
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { FleetRpc } from './rpc.js';

/** A Fleet call that failed; `retryable` says whether the same call may succeed later without anyone changing anything. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly rpc: FleetRpc;
  readonly retryable: boolean;
  /** What failed, e.g. `UNAVAILABLE`, `UNAUTHENTICATED`, `HTTP 503`, `ECONNREFUSED`, `DEADLINE_EXCEEDED`. */
  readonly code: string;
  /** The server's own words (gRPC details, HTTP error body) when it sent any. */
  readonly details: string;

  constructor(rpc: FleetRpc, code: string, details: string, retryable: boolean, options?: ErrorOptions) {
    super(`${rpc} failed: ${code}${details ? `: ${details}` : ''}${retryable ? ' (temporary)' : ''}`, options);
    this.rpc = rpc;
    this.code = code;
    this.details = details;
    this.retryable = retryable;
  }
}

export function isRetryableTransportError(error: unknown): boolean {
  return error instanceof TransportError && error.retryable;
}

/**
 * CANCELLED is here because a server shutting down cancels the calls in flight; the party's own cancellations
 * never reach this point (an aborted call rejects with its signal's reason).
 */
const RETRYABLE_GRPC = new Set<number>([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.CANCELLED]);

/**
 * A failed TLS handshake also arrives as UNAVAILABLE, but it will fail the same way until an admin fixes a
 * certificate or the CA file; Flower's client gives up on it for the same reason.
 */
function isTlsFailure(details: string): boolean {
  return /handshake|certificate|self[- ]signed|ssl|tls|altname|unable to verify/i.test(details);
}

export function fromGrpcError(rpc: FleetRpc, error: ServiceError): TransportError {
  const code = GrpcStatus[error.code] ?? `gRPC status ${error.code}`;
  // grpc-js appends an empty "Resolution note:" to connection errors; it only adds noise for an operator.
  const details = (error.details || error.message).replace(/\s*Resolution note:\s*$/, '');
  const retryable = RETRYABLE_GRPC.has(error.code) && !isTlsFailure(details);
  return new TransportError(rpc, code, details, retryable, { cause: error });
}

/** Gateways and overloaded servers say 5xx, 408 or 429 for "not now"; every other status needs someone to act. */
export function fromHttpStatus(rpc: FleetRpc, statusCode: number, details: string): TransportError {
  const retryable = statusCode >= 500 || statusCode === 408 || statusCode === 429;
  return new TransportError(rpc, `HTTP ${statusCode}`, details, retryable);
}

/** Socket errors that mean "the server or the network is not there right now". TLS and protocol errors are not here. */
const RETRYABLE_ERRNO = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN',
  'ENETUNREACH', 'ENETDOWN', 'ENETRESET', 'EAI_AGAIN', 'ENOTFOUND',
]);

export function fromNetworkError(rpc: FleetRpc, error: Error): TransportError {
  const code = (error as NodeJS.ErrnoException).code ?? 'NETWORK_ERROR';
  return new TransportError(rpc, code, error.message, RETRYABLE_ERRNO.has(code), { cause: error });
}

export function timeoutError(rpc: FleetRpc, timeoutMs: number): TransportError {
  return new TransportError(rpc, 'DEADLINE_EXCEEDED', `no answer within ${timeoutMs} ms`, true);
}
