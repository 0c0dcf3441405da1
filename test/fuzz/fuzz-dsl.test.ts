/** CI fuzz share of the dsl reader: fixed seed and case count (budget.ts), run under the watchdog. */
import { expect, it } from 'vitest';
import { budget, CI_SEED, describe as report, timeoutFor } from './budget';
import { fuzzInWorker } from './lib/worker';

it(`dsl: ${budget('dsl')} cases keep every invariant`, async () => {
  const r = await fuzzInWorker({ target: 'dsl', seed: CI_SEED, numRuns: budget('dsl'), cliEvery: 25, big: false });
  console.log(report(r));
  expect(r.failure, report(r)).toBeNull();
  expect(r.runs).toBe(budget('dsl'));
}, timeoutFor('dsl'));
