// Tests (Node): which failures the server itself answered (a refusal) and which mean it could not be reached.
import { describe, expect, it } from 'vitest';
import { serverAnswered } from '../../../../main/federation/client/node-session.js';
import { TransportError } from '../../../../main/federation/transport/transport-error.js';

const failure = (code: string, retryable = false) => new TransportError('RegisterNode', code, 'details', retryable);

describe('serverAnswered', () => {
  it('is true for a refusal by the server’s handler, over gRPC or REST', () => {
    for (const code of ['FAILED_PRECONDITION', 'UNAUTHENTICATED', 'INVALID_ARGUMENT', 'UNKNOWN', 'HTTP 500', 'HTTP 400']) expect(serverAnswered(failure(code))).toBe(true);
  });

  it('is false when the server could not be reached, or TLS failed', () => {
    for (const code of ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'ECONNREFUSED', 'CLOSED']) expect(serverAnswered(failure(code, code !== 'CLOSED'))).toBe(false);
    expect(serverAnswered(failure('UNAVAILABLE', false))).toBe(false);
    expect(serverAnswered(new Error('other'))).toBe(false);
  });
});
