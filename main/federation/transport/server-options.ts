// Runs anywhere in main: where and how a Fleet server listens (address, TLS files or explicit plain text, limits), and its handle.
import type { InternalErrorListener } from './fleet-handler.js';
import { readPem } from './tls-files.js';

export interface FleetServerOptions {
  /** Interface to listen on, e.g. `0.0.0.0`, `127.0.0.1`, `::`. */
  host: string;
  /** 0 picks a free port; the handle reports the one bound. */
  port: number;
  /** Server certificate (chain) and key as PEM files; both, or `insecure: true` for plain text. */
  certFile?: string;
  keyFile?: string;
  insecure?: boolean;
  /** Largest request accepted; default 64 MiB (object chunks are 5 MiB, FABs at most 10 MB). */
  maxRequestBytes?: number;
  onInternalError?: InternalErrorListener;
}

export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;

export interface FleetServer {
  readonly port: number;
  /** Stops accepting, lets calls in flight finish for up to `graceMs` (default 5 s), then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

export interface ServerTls {
  cert: Buffer;
  key: Buffer;
}

/** The certificate and key to serve TLS with, undefined for explicit plain text; refuses anything in between. */
export async function readServerTls(options: FleetServerOptions): Promise<ServerTls | undefined> {
  const { certFile, keyFile, insecure } = options;
  if (insecure) {
    if (certFile || keyFile) throw new Error('insecure: true and a certificate/key file are both set; drop one of them');
    return undefined;
  }
  if (!certFile || !keyFile) {
    throw new Error('a Fleet server needs certFile and keyFile for TLS, or insecure: true to serve plain text');
  }
  return { cert: await readPem(certFile, 'server certificate'), key: await readPem(keyFile, 'server private key') };
}

/** `host:port` as gRPC and error messages write it, with IPv6 hosts in brackets. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
