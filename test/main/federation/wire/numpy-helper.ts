// Tests (Node): runs a Python snippet with numpy, so .npy files are checked against numpy itself, not against our reading of it.
import { spawnSync } from 'node:child_process';

/**
 * Runs `python3 -c script ...args` and returns its stdout. numpy is a test dependency (Debian's python3-numpy;
 * CI installs it): when it is missing the test fails and says how to get it, rather than skipping.
 */
export function runNumpy(script: string, args: string[] = []): string {
  const result = spawnSync('python3', ['-c', `import numpy as np\n${script}`, ...args], { encoding: 'utf8' });
  if (result.error)
    throw new Error(`python3 did not run (${result.error.message}); numpy tests need python3 with numpy: apt-get install python3-numpy`);
  if (/No module named '?numpy'?/.test(result.stderr))
    throw new Error('numpy is missing for python3; install it with: apt-get install python3-numpy');
  if (result.status !== 0) throw new Error(`python3 failed (exit ${result.status}):\n${result.stderr}`);
  return result.stdout;
}
