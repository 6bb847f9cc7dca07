// Runs in a worker thread of a bench: a loopback TCP proxy that counts every byte each way, off the thread that runs the federation.
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

interface ProxyData {
  /** host:port to forward to. */
  target: string;
  /** [bytes towards the target, bytes back], shared with the thread that reads them. */
  counters: BigUint64Array;
}

const { target, counters } = workerData as ProxyData;
const split = target.lastIndexOf(':');
const [host, port] = [target.slice(0, split), Number(target.slice(split + 1))];

const server = net.createServer((client) => {
  const upstream = net.connect({ host, port });
  // As gRPC and Node's HTTP do on their own sockets: with Nagle's algorithm the proxy would hold back HTTP/2's small
  // frames (window updates, headers) until the peer's delayed ACK, adding tens of milliseconds per call.
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const count = (index: 0 | 1) => (chunk: Buffer) => Atomics.add(counters, index, BigInt(chunk.length));
  client.on('data', count(0));
  upstream.on('data', count(1));
  client.pipe(upstream);
  upstream.pipe(client);
  // A side that goes away takes the other with it, as a direct connection would.
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});

server.listen(0, '127.0.0.1', () => {
  parentPort!.postMessage({ port: (server.address() as net.AddressInfo).port });
});
