import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints the plain closing line CI reads (`N passed, N failed, N skipped`), and how many tests ran on each
 * storage engine, so a run shows that the storage tests really ran on PGlite and on PostgreSQL.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const byEngine = new Map<string, number>();
    for (const module of testModules) {
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed += 1;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
        const engine = /\[(pglite|postgres)\]/.exec(test.fullName)?.[1];
        if (engine && state === 'passed') byEngine.set(engine, (byEngine.get(engine) ?? 0) + 1);
      }
    }
    const engines = [...byEngine].map(([e, n]) => `${e}: ${n}`).join(', ');
    console.log(`\nstorage tests passed per engine — ${engines || 'none'}`);
    console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  }
}
