// Tests (Node): failures on both transports and whether the party should retry them: refused, cut, shut down, slow, aborted.
import { describe, expect, it, vi } from 'vitest';
import { FleetRpcError, type FleetHandler } from '../../../../main/federation/transport/fleet-handler.js';
import type { TransportKind } from '../../../../main/federation/transport/fleet-transport.js';
import { retry, sleep } from '../../../../main/federation/transport/backoff.js';
import { connect, deferred, echoHandler, refusedPort, startServer, tcpProxy, transportFailure } from './fixtures.js';

/** A handler that never answers, and says when a call has reached it. */
function hangingHandler() {
  const reached = deferred();
  const handler: FleetHandler = () => {
    reached.resolve();
    return new Promise(() => undefined);
  };
  return { reached: reached.promise, handler };
}

describe.each<TransportKind>(['grpc', 'rest'])('%s faults', (kind) => {
  it('a refused connection is retryable', async () => {
    const client = await connect(kind, await refusedPort());
    const error = await transportFailure(client.call('RegisterNode', new Uint8Array([1])));
    expect(error).toMatchObject({ rpc: 'RegisterNode', code: kind === 'grpc' ? 'UNAVAILABLE' : 'ECONNREFUSED', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
    client.close();
  });

  it('a connection cut mid-call (server crash, dropped link) is retryable', async () => {
    const { reached, handler } = hangingHandler();
    const server = await startServer(kind, handler);
    const proxy = await tcpProxy(server.port);
    const client = await connect(kind, proxy.port);
    const call = client.call('PullMessages', new Uint8Array([1]));
    await reached;
    proxy.cut();
    expect(await transportFailure(call)).toMatchObject({ rpc: 'PullMessages', retryable: true });
    client.close();
    await proxy.close();
    await server.close(0);
  });

  it('a server shutting down mid-call is retryable, and the server closes within its grace time', async () => {
    const { reached, handler } = hangingHandler();
    const server = await startServer(kind, handler);
    const client = await connect(kind, server.port);
    const call = client.call('PullObject', new Uint8Array([1]));
    await reached;
    const failed = transportFailure(call);
    await server.close(10);
    expect(await failed).toMatchObject({ rpc: 'PullObject', retryable: true });
    client.close();
  });

  it('a call with no answer in time fails as a retryable DEADLINE_EXCEEDED', async () => {
    const { handler } = hangingHandler();
    const server = await startServer(kind, handler);
    const client = await connect(kind, server.port);
    const started = Date.now();
    const error = await transportFailure(client.call('GetRun', new Uint8Array([1]), { timeoutMs: 100 }));
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED', retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    client.close();
    await server.close(0);
  });

  it('an aborted call rejects with the reason at once', async () => {
    const { reached, handler } = hangingHandler();
    const server = await startServer(kind, handler);
    const client = await connect(kind, server.port);
    const controller = new AbortController();
    const call = client.call('GetFab', new Uint8Array([1]), { signal: controller.signal });
    await reached;
    const reason = new Error('operator pressed leave');
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    await expect(client.call('GetFab', new Uint8Array([1]), { signal: controller.signal })).rejects.toBe(reason);
    client.close();
    await server.close(0);
  });

  it('UNAVAILABLE / 503 from the handler is retryable; PERMISSION_DENIED / 403 is not', async () => {
    const handler: FleetHandler = async (_rpc, request) => {
      throw request[0] ? new FleetRpcError('UNAVAILABLE', 'store busy') : new FleetRpcError('PERMISSION_DENIED', 'run finished');
    };
    const server = await startServer(kind, handler);
    const client = await connect(kind, server.port);
    expect(await transportFailure(client.call('PushObject', new Uint8Array([1])))).toMatchObject({
      code: kind === 'grpc' ? 'UNAVAILABLE' : 'HTTP 503',
      details: 'store busy',
      retryable: true,
    });
    expect(await transportFailure(client.call('PushObject', new Uint8Array([0])))).toMatchObject({
      code: kind === 'grpc' ? 'PERMISSION_DENIED' : 'HTTP 403',
      details: 'run finished',
      retryable: false,
    });
    client.close();
    await server.close();
  });

  it('a closed client refuses further calls, not worth retrying', async () => {
    const server = await startServer(kind, async () => new Uint8Array());
    const client = await connect(kind, server.port);
    await client.call('GetRun', new Uint8Array());
    client.close();
    expect(await transportFailure(client.call('GetRun', new Uint8Array()))).toMatchObject({ code: 'CLOSED', retryable: false });
    await server.close();
  });

  it('closes gracefully: a call in flight finishes before close() resolves', async () => {
    const answer = deferred<Uint8Array>();
    const reached = deferred();
    const server = await startServer(kind, () => {
      reached.resolve();
      return answer.promise;
    });
    const client = await connect(kind, server.port);
    const call = client.call('PushMessages', new Uint8Array([1]));
    await reached.promise;
    const closed = vi.fn();
    const closing = server.close(10_000).then(closed);
    answer.resolve(new Uint8Array([7]));
    expect(await call).toEqual(new Uint8Array([7]));
    await closing;
    expect(closed).toHaveBeenCalled();
    client.close();
  });
});

// Only gRPC keeps connection state between calls (REST opens a fresh socket), so only it can be slow to notice a server is back.
describe('gRPC reconnection', () => {
  it('reaches a server again soon after it is back from an outage of seconds', async () => {
    const kind = 'grpc';
    const server = await startServer(kind, echoHandler);
    const proxy = await tcpProxy(server.port);
    const client = await connect(kind, proxy.port);
    proxy.setDown(true);
    const outageEnds = Date.now() + 2_500;
    while (Date.now() < outageEnds) {
      expect(await transportFailure(client.call('SendNodeHeartbeat', new Uint8Array([1])))).toMatchObject({ retryable: true });
      await sleep(100);
    }
    proxy.setDown(false);
    const back = Date.now();
    await retry(() => client.call('SendNodeHeartbeat', new Uint8Array([1])), { baseMs: 50, maxMs: 50 });
    // grpc-js on its own would first wait out a reconnect backoff grown to about 2 s by now.
    expect(Date.now() - back).toBeLessThan(1_200);
    client.close();
    await proxy.close();
    await server.close();
  });
});
