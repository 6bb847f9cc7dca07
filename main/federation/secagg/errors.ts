// Runs in Node: SecAggError, the one error the SecAgg+ code throws, naming the stage and the config key at fault.

/** A SecAgg+ message or secret that does not fit the protocol; the message says which stage and key. */
export class SecAggError extends Error {
  override readonly name = 'SecAggError';
}

/** Throws a SecAggError that reads `SecAgg+ <stage>: <key> <problem>`. */
export function fail(stage: string, key: string, problem: string): never {
  throw new SecAggError(`SecAgg+ ${stage}: ${JSON.stringify(key)} ${problem}`);
}
