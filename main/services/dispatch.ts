// Runs in main (plain Node): one call through the contract: arguments parsed, the handler run, its result checked and wrapped.
import { z } from 'zod';
import { isMethodName, parseArguments } from '../../common/contract/arguments.js';
import { methods } from '../../common/contract/contract.js';
import type { MethodHandlers, MethodName } from '../../common/contract/contract.js';
import { failure, success } from '../../common/contract/envelope.js';
import type { Envelope } from '../../common/contract/envelope.js';
import { toContractError } from './service-errors.js';

/**
 * Never throws. The result is parsed too: only what the contract declares leaves the services (a field added to a
 * service's return value by mistake does not leak), and a service that drifted from the contract says so.
 */
export async function invokeMethod(handlers: MethodHandlers, method: string, rawArgs: unknown): Promise<Envelope<unknown>> {
  if (!isMethodName(method)) return failure('bad-request', `no method ${JSON.stringify(method)}`);
  const args = parseArguments(method, rawArgs);
  if (!args.ok) return args;
  let value: unknown;
  try {
    value = await (handlers[method] as (args: unknown) => Promise<unknown>)(args.value);
  } catch (error) {
    return { ok: false, error: toContractError(error) };
  }
  return checkedResult(method, value);
}

function checkedResult(method: MethodName, value: unknown): Envelope<unknown> {
  const checked = methods[method].result.safeParse(value);
  if (checked.success) return success(checked.data);
  return failure('internal', `${method} answered outside the contract: ${z.prettifyError(checked.error)}`);
}
