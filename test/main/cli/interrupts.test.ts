// Tests (Node, real signals to this process): the CLI's one interrupt helper: SIGINT and SIGTERM abort the work, listeners go before cleanup, never linger.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { interruptible, type Interrupt } from '../../../main/cli/interrupts.js';

const listening = () => ({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') });
const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

describe('interruptible', () => {
  it.each([
    ['SIGINT', 'Ctrl-C', 130],
    ['SIGTERM', 'SIGTERM', 143],
  ] as const)(
    "a real %s aborts the work, gives the shell's exit code, and the listeners are gone before cleanup",
    async (name, words, code) => {
      const before = listening();
      const heard: string[] = [];
      let duringCleanup: ReturnType<typeof listening> | undefined;
      const exitCode = await interruptible(
        async (signal) => {
          process.kill(process.pid, name);
          await aborted(signal);
          throw signal.reason; // a stopped run rejects
        },
        {
          onInterrupt: (count, interrupt) => heard.push(`${count} ${interrupt.words}`),
          interrupted: (interrupt: Interrupt) => interrupt.exitCode,
          cleanup: () => void (duringCleanup = listening()),
        },
      );
      expect([exitCode, heard]).toEqual([code, [`1 ${words}`]]);
      expect(duringCleanup).toEqual(before);
      expect(listening()).toEqual(before);
    },
  );

  it('takes as many interrupts as it handles, then stops listening so the next one ends the process as usual', async () => {
    const signals = new EventEmitter();
    const counts: number[] = [];
    await interruptible(
      async (signal) => {
        for (const name of ['SIGINT', 'SIGTERM', 'SIGINT']) signals.emit(name);
        expect(signal.aborted).toBe(true);
        expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
      },
      { onInterrupt: (count) => counts.push(count), handles: 2, signals },
    );
    expect(counts).toEqual([1, 2]);
  });

  it("without an interrupt, a failure is the work's own, thrown after cleanup, and a result passes through", async () => {
    const before = listening();
    const cleaned: boolean[] = [];
    const cleanup = (signal: AbortSignal) => void cleaned.push(signal.aborted);
    await expect(interruptible(() => Promise.reject(new Error('disk full')), { interrupted: () => 130, cleanup })).rejects.toThrow(
      'disk full',
    );
    expect(await interruptible(async () => 0, { cleanup })).toBe(0);
    expect(cleaned).toEqual([false, false]);
    expect(listening()).toEqual(before);
  });
});
