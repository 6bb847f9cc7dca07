// Tests (Node): which failures the server itself answered (a refusal) and which mean it could not be reached, and joining through refusals.
import { describe, expect, it } from 'vitest';
import type { FleetClient } from '../../../../main/federation/client/fleet-client.js';
import { joinFederation, serverAnswered } from '../../../../main/federation/client/node-session.js';
import { generateNodeIdentity } from '../../../../main/federation/transport/node-identity.js';
import { TransportError } from '../../../../main/federation/transport/transport-error.js';

const failure = (code: string, retryable = false) => new TransportError('RegisterNode', code, 'details', retryable);

describe('serverAnswered', () => {
  it('is true for a refusal by the server’s handler, over gRPC or REST', () => {
    for (const code of ['FAILED_PRECONDITION', 'UNAUTHENTICATED', 'INVALID_ARGUMENT', 'UNKNOWN', 'HTTP 500', 'HTTP 400'])
      expect(serverAnswered(failure(code))).toBe(true);
  });

  it('is false when the server could not be reached, or TLS failed', () => {
    for (const code of ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'ECONNREFUSED', 'CLOSED'])
      expect(serverAnswered(failure(code, code !== 'CLOSED'))).toBe(false);
    // A gateway in front of a SuperLink that is down, not the SuperLink (whose own refusals over REST are HTTP 500).
    for (const code of ['HTTP 502', 'HTTP 503', 'HTTP 504']) expect(serverAnswered(failure(code, true))).toBe(false);
    expect(serverAnswered(failure('UNAVAILABLE', false))).toBe(false);
    expect(serverAnswered(new Error('other'))).toBe(false);
  });
});

describe('joinFederation at a SuperLink that answers refusals as HTTP 500 (Flower over REST)', () => {
  const refused = (rpc: 'RegisterNode' | 'ActivateNode') => new TransportError(rpc, 'HTTP 500', 'Internal Server Error', true);

  it('takes a refused RegisterNode as "registered already", and says why ActivateNode may be refused while it retries', async () => {
    const calls: string[] = [];
    let activations = 0;
    const client = {
      registerNode: async () => {
        calls.push('RegisterNode');
        throw refused('RegisterNode');
      },
      activateNode: async () => {
        calls.push('ActivateNode');
        if (++activations < 3) throw refused('ActivateNode');
        return { nodeId: 2n ** 63n + 1n };
      },
    } as unknown as FleetClient;
    const notices: string[] = [];
    const identity = generateNodeIdentity();
    const nodeId = await joinFederation({
      client,
      identity,
      heartbeatIntervalSec: 30,
      register: true,
      signal: new AbortController().signal,
      onRetry: () => {},
      notice: (message) => notices.push(message),
    });
    expect(nodeId).toBe(2n ** 63n + 1n);
    expect(calls).toEqual(['RegisterNode', 'ActivateNode', 'ActivateNode', 'ActivateNode']);
    expect(notices).toEqual([
      'RegisterNode was refused (HTTP 500: Internal Server Error); the key is probably registered already, so activating it',
      expect.stringMatching(
        new RegExp(
          '^ActivateNode was refused \\(HTTP 500: Internal Server Error\\); trying again\\. ' +
            `.* until 60 s after its last heartbeat, or the server does not know key ${identity.fingerprint} `,
        ),
      ),
    ]);
  });
});
