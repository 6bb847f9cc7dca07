// Runs anywhere in main: serves the Fleet RPCs over gRPC, checking Flower's signed node-auth metadata on every call.
import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type handleUnaryCall,
  type Metadata,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { asBytes } from './bytes.js';
import { refusalFor, type FleetHandler } from './fleet-handler.js';
import { FLEET_SERVICE, FLOWER_MAX_MESSAGE_BYTES } from './grpc-service.js';
import { FLEET_RPCS, type FleetRpc } from './rpc.js';
import { DEFAULT_MAX_REQUEST_BYTES, hostPort, readServerTls, type FleetServer, type FleetServerOptions } from './server-options.js';
import { checkSignedMetadata, PUBLIC_KEY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, type SignedMetadata } from './signed-metadata.js';

export async function startGrpcServer(handler: FleetHandler, options: FleetServerOptions): Promise<FleetServer> {
  const tls = await readServerTls(options);
  const server = new Server({
    'grpc.max_receive_message_length': options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    'grpc.max_send_message_length': FLOWER_MAX_MESSAGE_BYTES,
    // Flower's value: some clouds drop TCP connections idle for 4 minutes.
    'grpc.keepalive_time_ms': 210_000,
  });
  server.addService(FLEET_SERVICE, implementation(handler, options));
  const credentials = tls
    ? ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false)
    : ServerCredentials.createInsecure();
  const port = await bind(server, hostPort(options.host, options.port), credentials);
  return { port, close: (graceMs = 5_000) => shutdown(server, graceMs) };
}

function implementation(handler: FleetHandler, options: FleetServerOptions): UntypedServiceImplementation {
  return Object.fromEntries(FLEET_RPCS.map((rpc) => [rpc, unaryHandler(rpc, handler, options)]));
}

function unaryHandler(rpc: FleetRpc, handler: FleetHandler, options: FleetServerOptions): handleUnaryCall<Uint8Array, Uint8Array> {
  return (call, callback) => {
    const check = checkSignedMetadata(signedMetadataOf(call.metadata));
    if (!check.ok) {
      callback({ code: GrpcStatus.UNAUTHENTICATED, details: check.reason });
      return;
    }
    handler(rpc, call.request, { publicKey: check.publicKey, transport: 'grpc' }).then(
      (response) => callback(null, response),
      (error: unknown) => {
        const refusal = refusalFor(error, rpc, options.onInternalError);
        callback({ code: refusal.grpcStatus, details: refusal.message });
      },
    );
  };
}

/** Like the SuperLink, a header counts only when it appears exactly once. */
function signedMetadataOf(metadata: Metadata): Partial<SignedMetadata> {
  const single = (key: string) => {
    const values = metadata.get(key);
    return values.length === 1 ? values[0] : undefined;
  };
  const publicKey = single(PUBLIC_KEY_HEADER);
  const timestamp = single(TIMESTAMP_HEADER);
  const signature = single(SIGNATURE_HEADER);
  return {
    publicKey: Buffer.isBuffer(publicKey) ? asBytes(publicKey) : undefined,
    timestamp: typeof timestamp === 'string' ? timestamp : undefined,
    signature: Buffer.isBuffer(signature) ? asBytes(signature) : undefined,
  };
}

function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => {
      if (error) reject(new Error(`cannot serve gRPC on ${address}: ${error.message}`, { cause: error }));
      else resolve(port);
    });
  });
}

/** After the grace time, force: and do not wait for grpc-js to confirm, which it never does for a socket that spoke no HTTP/2. */
function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
