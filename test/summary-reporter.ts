// Test runner plugin (Node): ends every run with one plain "N passed, N failed, N skipped" line that any CI can read, after
// the reasons given for skipped suites (a suite named "... (skipped: why)", as test/main/engine/backends.ts names an absent backend's).
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const skippedBecause = new Map<string, number>();
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed' || inFailedSuite(test))
          counts.failed++; // a suite's failed hook leaves its tests unrun
        else {
          counts.skipped++;
          const suite = reasonedSuite(test);
          if (suite !== undefined) skippedBecause.set(suite, (skippedBecause.get(suite) ?? 0) + 1);
        }
      }
      if (module.state() === 'failed' && module.children.size === 0) counts.failed++; // a file that failed to load
    }
    for (const [suite, count] of skippedBecause) process.stdout.write(`\nskipped ${count} test${count === 1 ? '' : 's'}: ${suite}`);
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}

/** The name of the outermost suite around `test` that says why it is skipped, if one does: the first reason in the chain. */
function reasonedSuite(test: TestCase): string | undefined {
  let reasoned: string | undefined;
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) {
    if (/\(skipped: .+\)$/.test(parent.name)) reasoned = parent.name;
  }
  return reasoned;
}

function inFailedSuite(test: TestCase): boolean {
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) if (parent.state() === 'failed') return true;
  return false;
}
