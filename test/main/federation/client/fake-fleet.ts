// Test helper (plain Node): a scripted Fleet server on the real gRPC/REST server transports, with Flower 1.29's node and reply semantics.
import { FleetRpcError, type FleetCaller, type FleetHandler } from '../../../../main/federation/transport/fleet-handler.js';
import type { FleetServer, FleetServerOptions } from '../../../../main/federation/transport/server-options.js';
import { startGrpcServer } from '../../../../main/federation/transport/grpc-server.js';
import { startRestServer } from '../../../../main/federation/transport/rest-server.js';
import type { FleetRpc } from '../../../../main/federation/transport/rpc.js';
import { fleetRpcs, type FleetRequest, type FleetResponse, type FleetRpcName } from '../../../../main/federation/wire/proto/fleet-rpcs.js';
import type { WireInput } from '../../../../main/federation/wire/proto/codec.js';
import type { PullMessagesResponse } from '../../../../main/federation/wire/proto/fleet-types.js';
import { PushedReplies, type Instruction, type ReceivedReply } from './pushed-replies.js';

/** How the fake's Fleet service is served: the real server transports, or a hostile stand-in. */
export type ServeFleet = (handler: FleetHandler, options: FleetServerOptions) => Promise<FleetServer>;

/** One answer to PullMessages, and the instructions it hands out. */
interface QueuedPull {
  answer: WireInput<PullMessagesResponse>;
  delivers: Instruction[];
}

interface FakeNodeRecord {
  nodeId: bigint;
  key: string;
  onlineUntil: number;
  online: boolean;
  /** Flower keeps an unregistered node's key bound to it: it can neither register nor activate again. */
  unregistered: boolean;
}

export interface FleetCall {
  rpc: FleetRpcName;
  nodeId: bigint | null;
  at: number;
}

/** Node ids above 2^53, as Flower's are: a party that loses precision shows up as "Invalid node ID". */
let nextNodeId = 2n ** 60n + 7n;

export class FakeFleet {
  readonly calls: FleetCall[] = [];
  readonly nodes = new Map<string, FakeNodeRecord>();
  readonly replies = new PushedReplies();
  /** GetRun is refused as Flower's SuperLink refuses it once the run is over ("Run is finished."). */
  runFinished = false;
  /** PullObject answers object_available = false this many times per object id before the bytes. */
  readonly unavailableFor = new Map<string, number>();
  readonly #queues = new Map<bigint, QueuedPull[]>();

  private constructor(
    readonly kind: 'grpc' | 'rest',
    private readonly server: FleetServer,
  ) {}

  /** On `port` (0: any free one); a restarted server is a new FakeFleet on the old port, with nothing remembered. */
  static async start(kind: 'grpc' | 'rest', port = 0, serve?: ServeFleet): Promise<FakeFleet> {
    const start = serve ?? (kind === 'grpc' ? startGrpcServer : startRestServer);
    // Calls arrive only once the server is bound, by when `fleet` exists.
    const server = await start((rpc, request, caller) => fleet.#handle(rpc, request, caller), { host: '127.0.0.1', port, insecure: true });
    const fleet = new FakeFleet(kind, server);
    return fleet;
  }

  get port(): number {
    return this.server.port;
  }

  get address(): string {
    return this.kind === 'grpc' ? `127.0.0.1:${this.port}` : `http://127.0.0.1:${this.port}`;
  }

  callsOf(rpc: FleetRpcName): FleetCall[] {
    return this.calls.filter((call) => call.rpc === rpc);
  }

  /** The node id of the only node, once one has activated. */
  async activeNode(timeoutMs = 15_000): Promise<bigint> {
    await waitFor(() => this.registeredNodes.some((node) => node.online), timeoutMs, 'a node to activate');
    return this.registeredNodes.find((node) => node.online)!.nodeId;
  }

  /** Queues a message for its destination node and resolves with the node's reply once every object of it has arrived. */
  send(instruction: Instruction, timeoutMs = 20_000): Promise<ReceivedReply> {
    const nodeId = instruction.proto.metadata!.dstNodeId;
    return this.sendAnswer(
      nodeId,
      { messagesList: [instruction.proto], messageObjectTrees: [instruction.tree] },
      [instruction],
      timeoutMs,
    )[0]!;
  }

  /**
   * Queues an answer to the node's PullMessages as given (several messages, a tree missing, nonsense metadata), which
   * hands out `delivers`; resolves with each one's reply.
   */
  sendAnswer(
    nodeId: bigint,
    answer: WireInput<PullMessagesResponse>,
    delivers: Instruction[],
    timeoutMs = 20_000,
  ): Promise<ReceivedReply>[] {
    this.#queues.set(nodeId, [...(this.#queues.get(nodeId) ?? []), { answer, delivers }]);
    return delivers.map((instruction) => this.replies.expect(instruction, timeoutMs));
  }

  close(): Promise<void> {
    return this.server.close(100);
  }

  async #handle(rpc: FleetRpc, request: Uint8Array, caller: FleetCaller): Promise<Uint8Array> {
    const codec = fleetRpcs[rpc] as unknown as {
      request: { decode(bytes: Uint8Array): unknown };
      response: { encode(value: unknown): Uint8Array };
    };
    const decoded = codec.request.decode(request) as { node?: { nodeId: bigint }; nodeId?: bigint };
    const nodeId = decoded.node?.nodeId ?? decoded.nodeId ?? null;
    this.calls.push({ rpc, nodeId, at: Date.now() });
    if (caller.publicKey && nodeId !== null && rpc !== 'RegisterNode' && rpc !== 'ActivateNode')
      this.#checkCaller(caller.publicKey, nodeId);
    try {
      return codec.response.encode(this.#answer(rpc, decoded as never));
    } catch (error) {
      // Flower's REST routes let the handler's ValueError through: every refusal reaches the client as HTTP 500.
      if (this.kind === 'rest' && error instanceof FleetRpcError)
        throw new FleetRpcError('INTERNAL', 'Internal Server Error', { cause: error });
      throw error;
    }
  }

  /** Flower's node-auth interceptor: the node id in a request must be the one registered for the calling key. */
  #checkCaller(publicKey: Uint8Array, nodeId: bigint): void {
    const node = this.nodes.get(Buffer.from(publicKey).toString());
    if (node?.unregistered || node?.nodeId !== nodeId) throw new FleetRpcError('UNAUTHENTICATED', 'Invalid node ID');
  }

  #answer<N extends FleetRpcName>(rpc: N, request: FleetRequest<N>): WireInput<FleetResponse<N>> {
    const handlers: { [K in FleetRpcName]?: (request: FleetRequest<K>) => WireInput<FleetResponse<K>> } = {
      RegisterNode: ({ publicKey }) => this.#register(Buffer.from(publicKey).toString()),
      ActivateNode: ({ publicKey, heartbeatInterval }) => ({
        nodeId: this.#activate(Buffer.from(publicKey).toString(), heartbeatInterval),
      }),
      DeactivateNode: ({ nodeId }) => this.#deactivate(nodeId),
      UnregisterNode: ({ nodeId }) => this.#unregister(nodeId),
      SendNodeHeartbeat: ({ node, heartbeatInterval }) => ({ success: this.#beat(node?.nodeId ?? 0n, heartbeatInterval) }),
      PullMessages: ({ node }) => this.#pull(node?.nodeId ?? 0n),
      PullObject: ({ objectId }) => this.#pullObject(objectId),
      ConfirmMessageReceived: () => ({}),
      PushMessages: ({ node, messagesList, messageObjectTrees }) =>
        this.replies.push(node?.nodeId ?? 0n, messagesList[0]!, messageObjectTrees[0]!),
      PushObject: ({ objectId, objectContent }) => ({ stored: this.replies.store(objectId, objectContent) }),
      GetRun: ({ runId }) => this.#getRun(runId),
    };
    const handler = handlers[rpc] as ((request: FleetRequest<N>) => WireInput<FleetResponse<N>>) | undefined;
    if (!handler) throw new FleetRpcError('INVALID_ARGUMENT', `${rpc} is not scripted in this fake`);
    return handler(request);
  }

  #register(key: string) {
    if (this.nodes.has(key)) throw new FleetRpcError('FAILED_PRECONDITION', 'Public key already in use');
    const nodeId = nextNodeId++;
    this.nodes.set(key, { nodeId, key, onlineUntil: 0, online: false, unregistered: false });
    return { nodeId };
  }

  #activate(key: string, interval: number): bigint {
    const node = this.nodes.get(key);
    if (!node || node.unregistered) throw new FleetRpcError('FAILED_PRECONDITION', 'No SuperNode found with the given public key.');
    if (node.online && Date.now() < node.onlineUntil)
      throw new FleetRpcError('FAILED_PRECONDITION', `SuperNode with node ID ${node.nodeId} could not be activated.`);
    Object.assign(node, { online: true, onlineUntil: Date.now() + 2_000 * interval });
    return node.nodeId;
  }

  #deactivate(nodeId: bigint) {
    const node = this.#node(nodeId);
    if (!node?.online) throw new FleetRpcError('FAILED_PRECONDITION', `SuperNode with node ID ${nodeId} could not be deactivated.`);
    Object.assign(node, { online: false, onlineUntil: Date.now() });
    return {};
  }

  #unregister(nodeId: bigint) {
    const node = this.#node(nodeId);
    if (!node || node.unregistered)
      throw new FleetRpcError('FAILED_PRECONDITION', `Node ID ${nodeId} already unregistered, not found or the request was unauthorized.`);
    Object.assign(node, { unregistered: true, online: false });
    return {};
  }

  /** Nodes that have not unregistered. */
  get registeredNodes(): FakeNodeRecord[] {
    return [...this.nodes.values()].filter((node) => !node.unregistered);
  }

  #beat(nodeId: bigint, interval: number): boolean {
    const node = this.#node(nodeId);
    if (!node || node.unregistered) return false;
    Object.assign(node, { online: true, onlineUntil: Date.now() + 2_000 * interval });
    return true;
  }

  #getRun(runId: bigint) {
    if (this.runFinished) throw new FleetRpcError('PERMISSION_DENIED', 'Run is finished.');
    return { run: { runId, status: { status: 'running', subStatus: '', details: '' } } };
  }

  #pull(nodeId: bigint) {
    const next = this.#queues.get(nodeId)?.shift();
    if (!next) return {};
    for (const instruction of next.delivers) this.replies.delivered(instruction);
    return next.answer;
  }

  #pullObject(objectId: string) {
    const content = this.replies.deliveredObject(objectId);
    if (!content) return { objectFound: false, objectAvailable: false };
    const holdBack = this.unavailableFor.get(objectId) ?? 0;
    if (holdBack > 0) {
      this.unavailableFor.set(objectId, holdBack - 1);
      return { objectFound: true, objectAvailable: false };
    }
    return { objectFound: true, objectAvailable: true, objectContent: content };
  }

  #node(nodeId: bigint): FakeNodeRecord | undefined {
    return [...this.nodes.values()].find((node) => node.nodeId === nodeId);
  }
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
