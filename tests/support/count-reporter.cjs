// Prints the closing line CI reads — "N passed, N failed, N skipped" — and leaves the counts in .ci/.counts for .ci/run.
const { writeFileSync, mkdirSync } = require('node:fs');
const path = require('node:path');

class CountReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    // A suite that fails to load (syntax error, missing module) has no failing test of its own: count it as one.
    const brokenSuites = results.testResults.filter((r) => r.testExecError || (r.failureMessage && r.numFailingTests === 0)).length;
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + brokenSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    mkdirSync(path.join(this.rootDir, '.ci'), { recursive: true });
    writeFileSync(path.join(this.rootDir, '.ci', '.counts'), `${passed} ${failed} ${skipped}\n`);
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

module.exports = CountReporter;
