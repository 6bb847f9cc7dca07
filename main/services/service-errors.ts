// Runs in main (plain Node): errors a service raises on purpose, and how any error becomes a contract error.
import type { ConfigIssue } from '../../common/contract/config-issue.js';
import type { ContractError, ErrorCode } from '../../common/contract/envelope.js';
import { ConfigError } from '../config/errors.js';

/** A failure with a code chosen by the service, e.g. `failed` for "the config has no test split". */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: ConfigIssue[],
  ) {
    super(message);
  }
}

/** Config problems keep their key and line, so the UI places them; anything else is the service failing at its task. */
export function toContractError(error: unknown): ContractError {
  if (error instanceof ConfigError) return { code: 'config-invalid', message: error.message, issues: error.issues.map(contractIssue) };
  if (error instanceof ServiceError) return { code: error.code, message: error.message, ...(error.issues && { issues: error.issues }) };
  return { code: 'failed', message: error instanceof Error ? error.message : String(error) };
}

/** An issue as the contract carries it: the file is the one the caller named, so it is left out. */
export function contractIssue({ key, line, problem, module }: ConfigError['issues'][number]): ConfigIssue {
  return { key, problem, ...(line !== undefined && { line }), ...(module && { module }) };
}
