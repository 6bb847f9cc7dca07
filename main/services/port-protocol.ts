// Runs in main (plain Node): the messages between the process that supervises the services and the services process.
import path from 'node:path';
import { z } from 'zod';
import type { EventName, MethodName } from '../../common/contract/contract.js';
import type { Envelope } from '../../common/contract/envelope.js';

/**
 * What the services ask of the desktop app's main process about a node key it seals (the services cannot: safeStorage
 * is Electron's). A key is named by the absolute key_file path it stands in for. `load` answers the PEM or null;
 * `save` and `delete` answer null.
 */
const keyFile = z.string().refine((file) => path.isAbsolute(file), 'an absolute key_file path');
/** PKCS#8, as the services make keys and convert the ones they import. */
const PKCS8_PEM = /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n?$/;

export const NodeKeyRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('load'), keyFile }),
  z.strictObject({ op: z.literal('save'), keyFile, pem: z.string().max(16_384).regex(PKCS8_PEM, 'a PKCS#8 PEM private key') }),
  z.strictObject({ op: z.literal('delete'), keyFile }),
]);
export type NodeKeyRequest = z.infer<typeof NodeKeyRequestSchema>;

const id = z.number().int().nonnegative();

/** Checked by the parent before anything is unsealed: the services process runs a site's own handler code. */
export const NodeKeyCallSchema = z.strictObject({ kind: z.literal('nodeKey'), id, request: NodeKeyRequestSchema });
export type NodeKeyCall = z.infer<typeof NodeKeyCallSchema>;

/** Checked by the services before a PEM is used. */
export const NodeKeyReplySchema = z.strictObject({
  kind: z.literal('nodeKeyReply'),
  id,
  result: z.discriminatedUnion('ok', [
    z.strictObject({ ok: z.literal(true), value: z.string().nullable() }),
    z.strictObject({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
  ]),
});
export type NodeKeyReply = { kind: 'nodeKeyReply'; id: number; result: Envelope<string | null> };

/** Parent to child. `stop` asks the child to release its threads and files, then exit. */
export type ParentMessage = { kind: 'call'; id: number; method: MethodName; args: unknown } | { kind: 'stop' } | NodeKeyReply;

/** Child to parent. `ready` comes once, when the host exists and takes calls. */
export type ChildMessage =
  | { kind: 'ready' }
  | { kind: 'reply'; id: number; result: Envelope<unknown> }
  | { kind: 'event'; event: EventName; payload: unknown }
  | NodeKeyCall;

/**
 * Where the services keep node keys, as the parent says at start. `keychain`: the parent seals them and answers
 * NodeKeyCalls. `file`: the key_file, and `note` tells the operator why (shown beside the fingerprint).
 */
export type NodeKeyStorageOption = { kind: 'keychain' } | { kind: 'file'; note: string };

/** The start options a supervisor hands the services process, as JSON in its environment. */
export interface StartOptions {
  startConfig?: string;
  recentConfigs?: string[];
  /** Absent: key files (the console). */
  nodeKeys?: NodeKeyStorageOption;
}

/**
 * The environment rather than the command line: Node's fork and Electron's utility process both take an `env`,
 * while where each puts extra arguments in `process.argv` differs.
 */
const START_OPTIONS_VARIABLE = 'TRIBUTARY_SERVICES_OPTIONS';

export function startOptionsEnv(options: StartOptions): NodeJS.ProcessEnv {
  return { ...process.env, [START_OPTIONS_VARIABLE]: JSON.stringify(options) };
}

export function startOptionsOfThisProcess(): StartOptions {
  return JSON.parse(process.env[START_OPTIONS_VARIABLE] ?? '{}') as StartOptions;
}

export function isChildMessage(message: unknown): message is ChildMessage {
  const kind = (message as { kind?: unknown } | null)?.kind;
  return kind === 'ready' || kind === 'reply' || kind === 'event' || kind === 'nodeKey';
}

export function isParentMessage(message: unknown): message is ParentMessage {
  const kind = (message as { kind?: unknown } | null)?.kind;
  return kind === 'call' || kind === 'stop' || kind === 'nodeKeyReply';
}
