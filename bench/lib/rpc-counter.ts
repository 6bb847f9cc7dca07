// Runs in bench scripts (Node): every Fleet call a party makes, counted with its protobuf bytes, idle calls (empty polls, heartbeats) apart.
import type { PartyOptions } from '../../main/federation/client/party.js';
import { createTransport } from '../../main/federation/transport/create-transport.js';
import { fleetRpcs } from '../../main/federation/wire/proto/fleet-rpcs.js';

export interface RpcTally {
  calls: number;
  /** Request and response bodies (protobuf), without the transport's framing and headers. */
  payloadBytes: number;
  /** Calls that carry no round's work: PullMessages that found nothing, SendNodeHeartbeat. */
  idleCalls: number;
  idleBytes: number;
}

export function newTally(): RpcTally {
  return { calls: 0, payloadBytes: 0, idleCalls: 0, idleBytes: 0 };
}

/** A party's transport opener that adds each call it makes to `tally`. */
export function countingTransport(tally: RpcTally): NonNullable<PartyOptions['openTransport']> {
  return async (options) => {
    const inner = await createTransport(options);
    return {
      kind: inner.kind,
      close: () => inner.close(),
      call: async (rpc, request, callOptions) => {
        const response = await inner.call(rpc, request, callOptions);
        const bytes = request.length + response.length;
        tally.calls += 1;
        tally.payloadBytes += bytes;
        const idle =
          rpc === 'SendNodeHeartbeat' ||
          (rpc === 'PullMessages' && fleetRpcs.PullMessages.response.decode(response).messagesList.length === 0);
        if (idle) {
          tally.idleCalls += 1;
          tally.idleBytes += bytes;
        }
        return response;
      },
    };
  };
}
