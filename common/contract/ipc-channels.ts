// Runs anywhere (the contract): the Electron IPC channel of each method and event, one channel per entry.
import type { EventName, MethodName } from './contract.js';

export const callChannel = (method: MethodName): string => `tributary:call:${method}`;
export const eventChannel = (event: EventName): string => `tributary:event:${event}`;
