// Runs in the CLI process: Ctrl-C (SIGINT) and SIGTERM while a command works, turned into an abort signal, the same for every command.
import { constants } from 'node:os';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** Why a command's signal was aborted: the signal, as the operator knows it, and the exit code a shell gives a process it ended. */
export class Interrupt extends Error {
  override name = 'Interrupt';
  /** 'Ctrl-C', or the signal's name (a service manager's SIGTERM). */
  readonly words: string;
  /** 128 + the signal's number: 130 for Ctrl-C, 143 for SIGTERM. */
  readonly exitCode: number;

  constructor(signal: StopSignal) {
    const words = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    super(`interrupted (${words})`);
    this.words = words;
    this.exitCode = 128 + constants.signals[signal];
  }
}

interface InterruptibleOptions<T> {
  /** Hears each interrupt as it comes, with its number (1 for the first). */
  onInterrupt?: (count: number, interrupt: Interrupt) => void;
  /** What the command returns when its work fails after an interrupt (a stopped run rejects); without it the failure is thrown. */
  interrupted?: (interrupt: Interrupt) => T;
  /** Runs once the signals are no longer listened to: an interrupt during cleanup ends the process at once. */
  cleanup?: (signal: AbortSignal) => Promise<unknown> | void;
  /** How many interrupts the command takes; the next ends the process at once, as a signal does by default. */
  handles?: number;
  /** Where the signals arrive; the process by default. */
  signals?: NodeJS.EventEmitter;
}

/** The first interrupt of an aborted signal (asking before there is one is a mistake in the command). */
export function interruptOf(signal: AbortSignal): Interrupt {
  if (!(signal.reason instanceof Interrupt)) throw new Error('no interrupt has come');
  return signal.reason;
}

/**
 * Runs `work` with SIGINT and SIGTERM aborting its signal (the first one) and told to `onInterrupt` (each one), then
 * `cleanup`. The listeners go when the work settles, or after `handles` interrupts, never later.
 */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>, options: InterruptibleOptions<T> = {}): Promise<T> {
  const { onInterrupt, interrupted, cleanup, handles = 1, signals = process } = options;
  const controller = new AbortController();
  let count = 0;
  const listeners = STOP_SIGNALS.map((name) => {
    const listener = () => {
      const interrupt = new Interrupt(name);
      if (++count >= handles) stopListening();
      controller.abort(interrupt);
      onInterrupt?.(count, interrupt);
    };
    return [name, listener] as const;
  });
  const stopListening = () => listeners.forEach(([name, listener]) => signals.off(name, listener));
  listeners.forEach(([name, listener]) => signals.on(name, listener));
  try {
    return await work(controller.signal);
  } catch (error) {
    if (!controller.signal.aborted || interrupted === undefined) throw error;
    return interrupted(interruptOf(controller.signal));
  } finally {
    stopListening();
    await cleanup?.(controller.signal);
  }
}
