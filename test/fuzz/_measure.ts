import { fuzzInWorker } from './lib/worker';
import { TARGET_NAMES } from './lib/targets';
const n = Number(process.argv[2] ?? 500);
const only = process.argv[3]?.split(',');
for (const t of TARGET_NAMES) {
  if (only && !only.includes(t)) continue;
  const t0 = Date.now();
  const r = await fuzzInWorker({ target: t, seed: 42, numRuns: n, cliEvery: 25 });
  console.log(t, r.runs, 'runs', Date.now() - t0, 'ms total', (r.ms / r.runs).toFixed(2), 'ms/case', 'slowest', r.slowestMs.toFixed(0), r.slowestOrigin);
  if (r.failure) console.log('  FAIL', r.failure.input.origin, r.failure.input.bytes.length, 'bytes\n   ', r.failure.problems.join('\n    ').slice(0, 3000));
}
