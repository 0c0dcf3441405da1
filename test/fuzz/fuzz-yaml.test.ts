/** CI fuzz share of the yaml reader: fixed seed and case count (budget.ts), run under the watchdog. */
import { expect, it } from 'vitest';
import { budget, CI_SEED, describe as report, timeoutFor } from './budget';
import { fuzzInWorker } from './lib/worker';

it(`yaml: ${budget('yaml')} cases keep every invariant`, async () => {
  const r = await fuzzInWorker({ target: 'yaml', seed: CI_SEED, numRuns: budget('yaml'), cliEvery: 25, big: false });
  console.log(report(r));
  expect(r.failure, report(r)).toBeNull();
  expect(r.runs).toBe(budget('yaml'));
}, timeoutFor('yaml'));
