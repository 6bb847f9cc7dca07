// Test helper (plain Node): a scripted node speaking the real Fleet API through the real transport clients (gRPC or REST).
import { setTimeout as sleep } from 'node:timers/promises';
import { createGrpcTransport } from '../../../../main/federation/transport/grpc-client.js';
import type { FleetTransport } from '../../../../main/federation/transport/fleet-transport.js';
import { generateNodeIdentity, type NodeIdentity } from '../../../../main/federation/transport/node-identity.js';
import { createRestTransport } from '../../../../main/federation/transport/rest-client.js';
import { deflateMessage } from '../../../../main/federation/wire/objects/deflate.js';
import { inflateMessage } from '../../../../main/federation/wire/objects/inflate.js';
import type { WireInput } from '../../../../main/federation/wire/proto/codec.js';
import { fleetRpcs, type FleetRequest, type FleetResponse, type FleetRpcName } from '../../../../main/federation/wire/proto/fleet-rpcs.js';
import type { MessageError } from '../../../../main/federation/wire/proto/record-types.js';
import { replyMetadata, type Message, type RecordDict } from '../../../../main/federation/wire/records/model.js';

/** What a scripted node does with a message: reply with content or an error, stay silent, or leave the federation. */
export type Behaviour = (message: Message, node: FakeNode) => Promise<RecordDict | MessageError | 'silent' | 'unregister'>;

export class FakeNode {
  nodeId = 0n;
  /** Every message type received, in order (e.g. "train", "evaluate"). */
  readonly received: Message[] = [];
  /** Why serving stopped early, if it did: the tests check that it did not. */
  failure?: Error;
  private stopped = false;
  private loop?: Promise<void>;

  private constructor(
    readonly transport: FleetTransport,
    readonly identity: NodeIdentity,
  ) {}

  /** Plain text, unless `caFile` names the CA to trust for TLS. */
  static async connect(kind: 'grpc' | 'rest', address: string, caFile?: string): Promise<FakeNode> {
    const identity = generateNodeIdentity();
    const security = caFile ? { rootCertificatesFile: caFile } : { insecure: true };
    const transport =
      kind === 'grpc' ? await createGrpcTransport({ address, identity, ...security }) : await createRestTransport({ address, ...security });
    return new FakeNode(transport, identity);
  }

  async call<N extends FleetRpcName>(name: N, request: WireInput<FleetRequest<N>>): Promise<FleetResponse<N>> {
    const rpc = fleetRpcs[name] as unknown as {
      request: { encode(value: unknown): Uint8Array };
      response: { decode(bytes: Uint8Array): unknown };
    };
    return rpc.response.decode(await this.transport.call(name, rpc.request.encode(request))) as FleetResponse<N>;
  }

  async join(heartbeatInterval = 30): Promise<bigint> {
    await this.call('RegisterNode', { publicKey: this.identity.publicKeyPem });
    this.nodeId = (await this.call('ActivateNode', { publicKey: this.identity.publicKeyPem, heartbeatInterval })).nodeId;
    return this.nodeId;
  }

  /** Polls for messages and answers each with the behaviour until stopped. */
  serve(behaviour: Behaviour): void {
    this.loop = (async () => {
      while (!this.stopped) {
        const message = await this.pull();
        if (!message) await sleep(20);
        else if (await this.answer(message, behaviour)) return;
      }
    })().catch((error: Error) => {
      if (!this.stopped) this.failure = error;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.transport.close();
  }

  /** One PullMessages; the message is fetched object by object and confirmed, as a SuperNode does. */
  async pull(): Promise<Message | undefined> {
    const node = { nodeId: this.nodeId };
    const pulled = await this.call('PullMessages', { node });
    const [proto] = pulled.messagesList;
    if (!proto) return undefined;
    const runId = proto.metadata!.runId;
    const fetch = async (objectId: string): Promise<Uint8Array> => {
      for (;;) {
        const object = await this.call('PullObject', { node, runId, objectId });
        if (!object.objectFound) throw new Error(`object ${objectId} not found`);
        if (object.objectAvailable) return object.objectContent;
        await sleep(10);
      }
    };
    const message = await inflateMessage(proto, pulled.messageObjectTrees[0]!, fetch);
    await this.call('ConfirmMessageReceived', { node, runId, messageObjectId: message.metadata.messageId });
    this.received.push(message);
    return message;
  }

  /** Pushes a reply and its objects; returns what PushMessages said. */
  async reply(incoming: Message, answer: RecordDict | MessageError): Promise<FleetResponse<'PushMessages'>> {
    const metadata = replyMetadata(incoming.metadata);
    const deflated = deflateMessage(answer instanceof Map ? { metadata, content: answer } : { metadata, error: answer });
    const node = { nodeId: this.nodeId };
    const pushed = await this.call('PushMessages', {
      node,
      messagesList: [deflated.message],
      messageObjectTrees: [deflated.tree],
      clientappRuntimeList: [0.01],
    });
    for (const objectId of pushed.objectsToPush) {
      await this.call('PushObject', { node, runId: metadata.runId, objectId, objectContent: deflated.objects.get(objectId)! });
    }
    return pushed;
  }

  async leave(): Promise<void> {
    await this.call('DeactivateNode', { nodeId: this.nodeId });
    await this.call('UnregisterNode', { nodeId: this.nodeId });
  }

  /** True when the node is done serving. */
  private async answer(message: Message, behaviour: Behaviour): Promise<boolean> {
    const answer = await behaviour(message, this);
    if (answer === 'silent') return false;
    if (answer === 'unregister') {
      await this.leave();
      return true;
    }
    await this.reply(message, answer);
    return false;
  }
}
