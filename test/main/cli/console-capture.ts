// Tests (Node): captures what a CLI command prints (console.log, console.error and, if asked, stderr's progress lines), fresh for each test.
import { afterEach, beforeEach, vi, type MockInstance } from 'vitest';

interface Spies {
  log: MockInstance<typeof console.log>;
  error: MockInstance<typeof console.error>;
  stderrWrite: MockInstance<typeof process.stderr.write>;
}

/** Call at a test file's top level: the spies are made before each test and restored after it. */
export function captureConsole(options: { stderr?: boolean } = {}) {
  const spies = {} as Spies;
  beforeEach(() => {
    spies.log = vi.spyOn(console, 'log').mockImplementation(() => {});
    spies.error = vi.spyOn(console, 'error').mockImplementation(() => {});
    if (options.stderr) spies.stderrWrite = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const lines = (calls: unknown[][]) => calls.map((call) => call.join(' ')).join('\n');
  return {
    spies,
    printed: () => lines(spies.log.mock.calls),
    complained: () => lines(spies.error.mock.calls),
    progressWritten: () => spies.stderrWrite.mock.calls.map((call) => String(call[0])).join(''),
  };
}
