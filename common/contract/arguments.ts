// Runs anywhere (the contract): arguments checked at the door, before any handler runs, with the reason in plain words.
import { z } from 'zod';
import { methods } from './contract.js';
import type { ArgsOf, MethodName } from './contract.js';
import { failure, success } from './envelope.js';
import type { Envelope } from './envelope.js';

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(methods, name);
}

/** The arguments as the handler receives them (defaults filled in), or a `bad-request` failure saying what is wrong. */
export function parseArguments<M extends MethodName>(method: M, raw: unknown): Envelope<ArgsOf<M>> {
  const parsed = methods[method].args.safeParse(raw);
  if (parsed.success) return success(parsed.data as ArgsOf<M>);
  return failure('bad-request', `${method}: ${z.prettifyError(parsed.error)}`);
}
