// Runs in the party (plain Node): the typed Fleet API client, one method per RPC, over any byte transport and the wire codecs.
import type { CallOptions, FleetTransport } from '../transport/fleet-transport.js';
import type { FleetRpc } from '../transport/rpc.js';
import type { WireInput } from '../wire/proto/codec.js';
import { fleetRpcs, type FleetRequest, type FleetResponse, type FleetRpcName } from '../wire/proto/fleet-rpcs.js';
import type * as F from '../wire/proto/fleet-types.js';
import type { MessageProto, ObjectTree } from '../wire/proto/record-types.js';

/** A call that hears nothing for this long fails as a retryable DEADLINE_EXCEEDED; an object chunk is at most 5 MiB. */
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;

export interface FleetClientOptions {
  timeoutMs?: number;
  /** The most bytes each call's answer may bring (InboundLimits.answerBytes); default: the transport's limit. */
  answerBytes?: (rpc: FleetRpc) => number;
}

export class FleetClient {
  readonly #timeoutMs: number;
  readonly #answerBytes: FleetClientOptions['answerBytes'];

  constructor(
    private readonly transport: FleetTransport,
    { timeoutMs = DEFAULT_CALL_TIMEOUT_MS, answerBytes }: FleetClientOptions = {},
  ) {
    this.#timeoutMs = timeoutMs;
    this.#answerBytes = answerBytes;
  }

  registerNode(publicKey: Uint8Array, options?: CallOptions): Promise<F.RegisterNodeFleetResponse> {
    return this.#call('RegisterNode', { publicKey }, options);
  }

  activateNode(publicKey: Uint8Array, heartbeatInterval: number, options?: CallOptions): Promise<F.ActivateNodeResponse> {
    return this.#call('ActivateNode', { publicKey, heartbeatInterval }, options);
  }

  async deactivateNode(nodeId: bigint, options?: CallOptions): Promise<void> {
    await this.#call('DeactivateNode', { nodeId }, options);
  }

  async unregisterNode(nodeId: bigint, options?: CallOptions): Promise<void> {
    await this.#call('UnregisterNode', { nodeId }, options);
  }

  /** True when the server acknowledged the beat; false when it does not know the node (any more). */
  async sendNodeHeartbeat(nodeId: bigint, heartbeatInterval: number, options?: CallOptions): Promise<boolean> {
    return (await this.#call('SendNodeHeartbeat', { node: { nodeId }, heartbeatInterval }, options)).success;
  }

  pullMessages(nodeId: bigint, options?: CallOptions): Promise<F.PullMessagesResponse> {
    return this.#call('PullMessages', { node: { nodeId }, messageIds: [] }, options);
  }

  /** `message` carries an empty RecordDict as content (or an error): the content goes as objects. */
  pushMessages(
    nodeId: bigint,
    message: WireInput<MessageProto>,
    tree: ObjectTree,
    runtimeSec: number,
    options?: CallOptions,
  ): Promise<F.PushMessagesResponse> {
    return this.#call(
      'PushMessages',
      { node: { nodeId }, messagesList: [message], messageObjectTrees: [tree], clientappRuntimeList: [runtimeSec] },
      options,
    );
  }

  pullObject(nodeId: bigint, runId: bigint, objectId: string, options?: CallOptions): Promise<F.PullObjectResponse> {
    return this.#call('PullObject', { node: { nodeId }, runId, objectId }, options);
  }

  /** True when the server stored it; false when it had not preregistered the id. */
  async pushObject(nodeId: bigint, runId: bigint, objectId: string, objectContent: Uint8Array, options?: CallOptions): Promise<boolean> {
    return (await this.#call('PushObject', { node: { nodeId }, runId, objectId, objectContent }, options)).stored;
  }

  async confirmMessageReceived(nodeId: bigint, runId: bigint, messageObjectId: string, options?: CallOptions): Promise<void> {
    await this.#call('ConfirmMessageReceived', { node: { nodeId }, runId, messageObjectId }, options);
  }

  getRun(nodeId: bigint, runId: bigint, options?: CallOptions): Promise<F.GetRunResponse> {
    return this.#call('GetRun', { node: { nodeId }, runId }, options);
  }

  getFab(nodeId: bigint, runId: bigint, hashStr: string, options?: CallOptions): Promise<F.GetFabResponse> {
    return this.#call('GetFab', { node: { nodeId }, runId, hashStr }, options);
  }

  close(): void {
    this.transport.close();
  }

  async #call<N extends FleetRpcName>(name: N, request: WireInput<FleetRequest<N>>, options: CallOptions = {}): Promise<FleetResponse<N>> {
    const rpc = fleetRpcs[name] as unknown as {
      request: { encode(value: unknown): Uint8Array };
      response: { decode(bytes: Uint8Array): FleetResponse<N> };
    };
    const maxAnswerBytes = this.#answerBytes?.(name);
    const callOptions = { timeoutMs: this.#timeoutMs, ...(maxAnswerBytes !== undefined && { maxAnswerBytes }), ...options };
    const bytes = await this.transport.call(name, rpc.request.encode(request), callOptions);
    return rpc.response.decode(bytes);
  }
}
