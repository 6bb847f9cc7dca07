// Runs anywhere in main: what a Fleet server needs from its owner (one handler for every RPC) and the errors a handler throws.
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { TransportKind } from './fleet-transport.js';
import type { FleetRpc } from './rpc.js';

export interface FleetCaller {
  /** PEM public key whose signature on this call checked out (gRPC); REST carries no node auth in Flower 1.29. */
  publicKey?: Uint8Array;
  transport: TransportKind;
}

/** Answers one request's bytes with the response's bytes; throw FleetRpcError to refuse it. */
export type FleetHandler = (rpc: FleetRpc, request: Uint8Array, caller: FleetCaller) => Promise<Uint8Array>;

/** The refusals a handler can give, each with the gRPC status and HTTP status a client sees. */
const STATUSES = {
  INVALID_ARGUMENT: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400 },
  FAILED_PRECONDITION: { grpc: GrpcStatus.FAILED_PRECONDITION, http: 400 },
  UNAUTHENTICATED: { grpc: GrpcStatus.UNAUTHENTICATED, http: 401 },
  PERMISSION_DENIED: { grpc: GrpcStatus.PERMISSION_DENIED, http: 403 },
  NOT_FOUND: { grpc: GrpcStatus.NOT_FOUND, http: 404 },
  ALREADY_EXISTS: { grpc: GrpcStatus.ALREADY_EXISTS, http: 409 },
  UNAVAILABLE: { grpc: GrpcStatus.UNAVAILABLE, http: 503 },
  INTERNAL: { grpc: GrpcStatus.INTERNAL, http: 500 },
} as const;

export type FleetStatus = keyof typeof STATUSES;

/** A handler's refusal; its message goes to the client as the gRPC details or the REST error detail. */
export class FleetRpcError extends Error {
  override readonly name = 'FleetRpcError';
  readonly status: FleetStatus;

  constructor(status: FleetStatus, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
  }

  get grpcStatus(): GrpcStatus {
    return STATUSES[this.status].grpc;
  }

  get httpStatus(): number {
    return STATUSES[this.status].http;
  }
}

/** Told of handler failures that were not FleetRpcErrors, which clients only see as INTERNAL / 500. */
export type InternalErrorListener = (error: unknown, rpc: FleetRpc) => void;

/**
 * The refusal to send for whatever a handler threw. Anything but a FleetRpcError is a bug on the server's side:
 * its message stays in the server's log instead of reaching the client.
 */
export function refusalFor(error: unknown, rpc: FleetRpc, onInternalError?: InternalErrorListener): FleetRpcError {
  if (error instanceof FleetRpcError) return error;
  onInternalError?.(error, rpc);
  return new FleetRpcError('INTERNAL', `${rpc} failed on the server`);
}
