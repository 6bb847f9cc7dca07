// Runs anywhere in main: the REST Fleet client, raw protobuf bytes POSTed to Flower's /api/v0/fleet/<name> routes.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { restServerUrl } from '../../../common/fleet-address.js';
import {
  DEFAULT_MAX_ANSWER_BYTES,
  type AnswerLimit,
  type CallOptions,
  type FleetTransport,
  type TransportSecurity,
} from './fleet-transport.js';
import { asBuffer, asBytes } from './bytes.js';
import { mediaTypeOf, PROTOBUF_MEDIA_TYPE, restPath, type FleetRpc } from './rpc.js';
import { pinnedServerIdentity } from './pinned-ca.js';
import { readRootCertificates } from './tls-files.js';
import { fromHttpStatus, fromNetworkError, timeoutError, tooLargeError, TransportError } from './transport-error.js';

const IDLE_SOCKET_MS = 4_000;
/** How a kept-alive socket that the server closed in the meantime fails the next request written on it. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);

export interface RestTransportOptions extends TransportSecurity, AnswerLimit {
  /** `host:port` (scheme from `insecure`), or a URL such as `https://fleet.example.org:9095` or one with a path prefix. */
  address: string;
}

export async function createRestTransport(options: RestTransportOptions): Promise<FleetTransport> {
  const ca = await readRootCertificates(options);
  const base = restBaseUrl(options.address, options.insecure === true);
  // Keep-alive: a party polls every few seconds, and a fresh TLS handshake per poll would dominate. An idle socket is
  // dropped after 4 s, before servers close theirs (Node's and uvicorn's keep-alive is 5 s), so one is rarely reused
  // just as the server closes it; post() retries the one call where that happens anyway.
  const agentOptions = { keepAlive: true, timeout: IDLE_SOCKET_MS };
  const pinned = options.pinnedCaSha256 ? { checkServerIdentity: pinnedServerIdentity(options.pinnedCaSha256) } : {};
  const agent = base.protocol === 'https:' ? new https.Agent({ ...agentOptions, ca, ...pinned }) : new http.Agent(agentOptions);
  const { maxAnswerBytes = DEFAULT_MAX_ANSWER_BYTES } = options;
  let closed = false;
  return {
    kind: 'rest',
    call: (rpc, request, callOptions = {}) => {
      // Like a closed gRPC channel: an agent would quietly open new sockets after destroy().
      if (closed) return Promise.reject(new TransportError(rpc, 'CLOSED', `the REST client for ${base.origin} is closed`, false));
      return post(new URL(base.pathname.replace(/\/$/, '') + restPath(rpc), base), agent, rpc, request, { maxAnswerBytes, ...callOptions });
    },
    close: () => {
      closed = true;
      agent.destroy();
    },
  };
}

/** The server's base URL; refuses plain http unless `insecure` says so, and https when it does (the config schema's rule). */
export function restBaseUrl(address: string, insecure: boolean): URL {
  return restServerUrl(address, insecure);
}

/**
 * One POST. A request that fails on a reused socket with a reset, before any response, never reached the server (it
 * had closed the idle socket), so it is sent once more on a fresh one, as Node's documentation advises.
 */
type PostOptions = CallOptions & { maxAnswerBytes: number };

function post(
  url: URL,
  agent: http.Agent,
  rpc: FleetRpc,
  body: Uint8Array,
  options: PostOptions,
  onStaleSocket: 'retry' | 'fail' = 'retry',
): Promise<Uint8Array> {
  const { timeoutMs, signal, maxAnswerBytes } = options;
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      agent,
      // SNI carries host names only (RFC 6066); Node warns when it is given an IP address.
      ...(isIP(url.hostname.replace(/^\[|\]$/g, '')) ? { servername: '' } : {}),
      headers: { 'Content-Type': PROTOBUF_MEDIA_TYPE, Accept: PROTOBUF_MEDIA_TYPE, 'Content-Length': body.byteLength },
    });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => fail(timeoutError(rpc, timeoutMs)), timeoutMs);
    const onAbort = () => fail(signal?.reason);
    let settled = false;
    let responded = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      return true;
    };
    function fail(error: unknown): void {
      if (!settle()) return;
      request.destroy();
      reject(error);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) => {
      const stale = onStaleSocket === 'retry' && !responded && request.reusedSocket && STALE_SOCKET_CODES.has(error.code ?? '');
      if (stale && settle()) resolve(post(url, agent, rpc, body, options, 'fail'));
      else fail(fromNetworkError(rpc, error));
    });
    request.on('response', (response) => {
      responded = true;
      readCapped(response, rpc, maxAnswerBytes).then(
        (bytes) => {
          const outcome = answer(rpc, response, bytes);
          if (outcome instanceof TransportError) fail(outcome);
          else if (settle()) resolve(outcome);
        },
        (error: Error) => fail(error instanceof TransportError ? error : fromNetworkError(rpc, error)),
      );
    });
    request.end(asBuffer(body));
  });
}

/**
 * The whole body, if it is at most `cap` bytes: a Content-Length over it is refused before a byte is read, and a
 * body without one stops being read as soon as it runs past. fail() then destroys the request and its socket.
 */
function readCapped(response: IncomingMessage, rpc: FleetRpc, cap: number): Promise<Buffer> {
  const declared = Number(response.headers['content-length']);
  if (declared > cap) return Promise.reject(tooLargeError(rpc, cap, { declared, by: 'Content-Length' }));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= cap) chunks.push(chunk);
      else {
        chunks.length = 0;
        response.destroy();
        reject(tooLargeError(rpc, cap, 'overran'));
      }
    });
    response.on('end', () => resolve(Buffer.concat(chunks)));
    response.on('error', reject);
  });
}

/** The response bytes, or why they cannot be used. */
function answer(rpc: FleetRpc, response: IncomingMessage, body: Buffer): Uint8Array | TransportError {
  const status = response.statusCode ?? 0;
  if (status !== 200) return fromHttpStatus(rpc, status, errorDetail(status, response.headers['content-type'], body));
  const type = response.headers['content-type'];
  if (mediaTypeOf(type) !== PROTOBUF_MEDIA_TYPE) {
    return new TransportError(rpc, 'BAD_RESPONSE', `expected Content-Type ${PROTOBUF_MEDIA_TYPE}, got ${type ?? 'none'}`, false);
  }
  return asBytes(body);
}

/** Flower's REST server answers errors as JSON `{"detail": ...}`; anything else is shown as text, shortened. */
function errorDetail(status: number, contentType: string | undefined, body: Buffer): string {
  const text = body.toString('utf8').trim();
  if (mediaTypeOf(contentType) === 'application/json') {
    try {
      const detail: unknown = (JSON.parse(text) as { detail?: unknown }).detail;
      if (detail !== undefined) return typeof detail === 'string' ? detail : JSON.stringify(detail);
    } catch {
      // Not the JSON it claims to be: show the text itself.
    }
  }
  return text.slice(0, 500) || (http.STATUS_CODES[status] ?? '');
}
