// Runs anywhere in main: TransportError, the one failure a Fleet call reports, and which failures are worth retrying.
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { FleetRpc } from './rpc.js';

/** A server's own words are shown up to this length: enough for any honest error, and a hostile one cannot flood a log with them. */
const MAX_DETAILS_CHARS = 500;

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
    const shown = details.length > MAX_DETAILS_CHARS ? `${details.slice(0, MAX_DETAILS_CHARS)}… (${details.length} characters)` : details;
    super(`${rpc} failed: ${code}${shown ? `: ${shown}` : ''}${retryable ? ' (temporary)' : ''}`, options);
    this.rpc = rpc;
    this.code = code;
    this.details = shown;
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
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

export function fromNetworkError(rpc: FleetRpc, error: Error): TransportError {
  const code = (error as NodeJS.ErrnoException).code ?? 'NETWORK_ERROR';
  return new TransportError(rpc, code, error.message, RETRYABLE_ERRNO.has(code), { cause: error });
}

export function timeoutError(rpc: FleetRpc, timeoutMs: number): TransportError {
  return new TransportError(rpc, 'DEADLINE_EXCEEDED', `no answer within ${timeoutMs} ms`, true);
}

/** How an answer was found too large: by its length field (Content-Length, the gRPC length prefix), once received, or while reading one without a length. */
export type Oversize = { declared: number; by: string } | { received: number } | 'overran';

/** An answer bigger than the call may bring; one that declares its size is refused unread. */
export function tooLargeError(rpc: FleetRpc, cap: number, oversize: Oversize): TransportError {
  const [size, done] =
    oversize === 'overran'
      ? [`ran past ${cap} bytes`, 'stopped reading']
      : 'declared' in oversize
        ? [`declares ${oversize.declared} bytes (${oversize.by})`, 'refused unread']
        : [`is ${oversize.received} bytes`, 'refused'];
  return new TransportError(rpc, 'TOO_LARGE', `the answer ${size}, more than the ${cap} bytes a ${rpc} answer may bring: ${done}`, false);
}
