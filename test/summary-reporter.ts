// Test runner plugin (Node): ends every run with one plain "N passed, N failed, N skipped" line that any CI can read, after
// the reasons given for skipped suites (a suite named "... (skipped: why)", as test/main/engine/backends.ts names an absent backend's)
// and the files whose tests never ran to an end (a worker process that died takes its file's remaining tests with it).
import path from 'node:path';
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const skippedBecause = new Map<string, number>();
    const unfinished = new Map<string, number>();
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'pending') unfinished.set(module.moduleId, (unfinished.get(module.moduleId) ?? 0) + 1);
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
    for (const [suite, count] of skippedBecause) process.stdout.write(`\nskipped ${count} ${tests(count)}: ${suite}`);
    for (const [file, count] of unfinished)
      process.stdout.write(`\nnever ran to an end (its worker exited?): ${count} ${tests(count)} in ${path.relative(process.cwd(), file)}`);
    const notRun = [...unfinished.values()].reduce((sum, count) => sum + count, 0);
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed + notRun} failed, ${counts.skipped} skipped\n`);
  }
}

const tests = (count: number) => (count === 1 ? 'test' : 'tests');

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
