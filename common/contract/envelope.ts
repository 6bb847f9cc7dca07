// Runs anywhere (the contract): every method's reply is an envelope, because only `message` survives a throw across IPC.
import type { ConfigIssue } from './config-issue.js';

/** What went wrong, as a code the UI chooses its words by (never by parsing messages). */
export type ErrorCode =
  | 'bad-request' // no such method, or its arguments do not match the contract
  | 'forbidden' // the caller is not the app's own window
  | 'config-invalid' // the party config has problems; `issues` places each on its key and line
  | 'unavailable' // the services are not running: starting, restarting after a crash, or stopped
  | 'failed' // the service ran and could not do it (a missing folder, a full disk, an unknown class)
  | 'internal'; // a bug: the service answered outside the contract

export interface ContractError {
  code: ErrorCode;
  message: string;
  issues?: ConfigIssue[];
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ContractError };
type Failure = Extract<Envelope<never>, { ok: false }>;

export const success = <T>(value: T): Envelope<T> => ({ ok: true, value });

export function failure(code: ErrorCode, message: string): Failure {
  return { ok: false, error: { code, message } };
}
