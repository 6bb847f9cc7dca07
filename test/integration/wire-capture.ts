// Test helper (plain Node, real sockets on 127.0.0.1): a TCP relay between a party and the aggregator that records every byte
// each way, per connection, and what those bytes say once HTTP/2 is undone (decoded headers, gRPC messages).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** One client connection through the relay: what the client sent (up) and what the server sent back (down), in order. */
export interface RecordedConnection {
  up: Buffer[];
  down: Buffer[];
}

export class TcpRelay {
  readonly connections: RecordedConnection[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    /** host:port the party connects to. */
    readonly address: string,
  ) {}

  /** Listens on a free loopback port and pipes each connection to `target` (host:port), keeping a copy of every chunk. */
  static async start(target: string): Promise<TcpRelay> {
    const [host, port] = splitAddress(target);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const relay = new TcpRelay(server, `127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    server.on('connection', (client) => relay.relay(client, net.connect(port, host)));
    return relay;
  }

  private relay(client: net.Socket, upstream: net.Socket): void {
    const recorded: RecordedConnection = { up: [], down: [] };
    this.connections.push(recorded);
    for (const [from, to, chunks] of [
      [client, upstream, recorded.up],
      [upstream, client, recorded.down],
    ] as const) {
      this.sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        chunks.push(Buffer.from(chunk));
        to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }

  /** Every byte recorded, each direction of each connection as one buffer. */
  streams(): { up: Buffer; down: Buffer }[] {
    return this.connections.map(({ up, down }) => ({ up: Buffer.concat(up), down: Buffer.concat(down) }));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function splitAddress(address: string): [string, number] {
  const colon = address.lastIndexOf(':');
  return [address.slice(0, colon), Number(address.slice(colon + 1))];
}

/** One direction of a plain-text HTTP/2 connection, undone by test/fixtures/h2_capture.py: its header lines and its gRPC messages. */
export function decodeHttp2(bytes: Buffer, scratchDir: string): { headers: string[]; messages: Buffer[] } {
  const file = path.join(scratchDir, `h2-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}.bin`);
  writeFileSync(file, bytes);
  const script = path.join(import.meta.dirname, '../fixtures/h2_capture.py');
  // Debian's python3, where python3-hpack lives (a pyenv python on PATH would not have it).
  const out = execFileSync('/usr/bin/python3', [script, file], { encoding: 'utf8', maxBuffer: 512 * 2 ** 20, timeout: 120_000 });
  const decoded = JSON.parse(out) as { headers: string[]; messages: string[] };
  return { headers: decoded.headers, messages: decoded.messages.map((text) => Buffer.from(text, 'base64')) };
}
