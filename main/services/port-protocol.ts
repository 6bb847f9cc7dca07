// Runs in main (plain Node): the messages between the process that supervises the services and the services process.
import type { EventName, MethodName } from '../../common/contract/contract.js';
import type { Envelope } from '../../common/contract/envelope.js';

/** Parent to child. `stop` asks the child to release its threads and files, then exit. */
export type ParentMessage = { kind: 'call'; id: number; method: MethodName; args: unknown } | { kind: 'stop' };

/** Child to parent. `ready` comes once, when the host exists and takes calls. */
export type ChildMessage =
  | { kind: 'ready' }
  | { kind: 'reply'; id: number; result: Envelope<unknown> }
  | { kind: 'event'; event: EventName; payload: unknown };

/** The start options a supervisor hands the services process, as JSON in its environment. */
export interface StartOptions {
  startConfig?: string;
  recentConfigs?: string[];
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
  return kind === 'ready' || kind === 'reply' || kind === 'event';
}

export function isParentMessage(message: unknown): message is ParentMessage {
  const kind = (message as { kind?: unknown } | null)?.kind;
  return kind === 'call' || kind === 'stop';
}
