/** CI fuzz share of the table lint and of `build --base-dtb` (a DTB merged into our output). */
import { expect, it } from 'vitest';
import { budget, CI_SEED, describe as report, timeoutFor } from './budget';
import { fuzzInWorker } from './lib/worker';

for (const target of ['lint', 'base-dtb'] as const)
  it(`${target}: ${budget(target)} cases keep every invariant`, async () => {
    const r = await fuzzInWorker({ target, seed: CI_SEED, numRuns: budget(target), cliEvery: 25, big: false });
    console.log(report(r));
    expect(r.failure, report(r)).toBeNull();
    expect(r.runs).toBe(budget(target));
  }, timeoutFor(target));
