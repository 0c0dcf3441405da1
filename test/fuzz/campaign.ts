/**
 * Open-ended fuzz campaign: `npm run fuzz -- [options]`.
 *
 *   --time SECONDS     wall-time budget (default 60; env FUZZ_TIME)
 *   --runs N           stop a target after N cases (default: no case budget)
 *   --targets a,b      targets to run (default all: dsl,yaml,iort,dtb,lint,base-dtb)
 *   --seed N           first fast-check seed (default: from the clock; printed, so runs repeat)
 *   --jobs N           worker threads in parallel (default 2)
 *   --chunk N          cases per worker run, each with its own seed (default 2000)
 *   --small            leave out the large real-world seeds (as the CI budget does)
 *   --out DIR          where failing cases go (default test/fuzz/regressions)
 *
 * Each chunk runs in a worker thread under a watchdog (lib/worker.ts): a hang or a memory
 * blow-up is caught and reported with the case in flight. Every failure is shrunk by fast-check
 * and stored as a regression fixture that test/fuzz/regressions.test.ts replays. Exit 1 when a
 * failure was found, 0 otherwise.
 */
import { TARGET_NAMES, type TargetName } from './lib/targets';
import { fuzzInWorker } from './lib/worker';
import { REGRESSION_DIR, saveRegression } from './lib/regressions';
import { DEFAULT_BOUNDS } from './lib/runner';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const timeMs = Number(arg('time') ?? process.env.FUZZ_TIME ?? 60) * 1000;
const runCap = arg('runs') !== undefined ? Number(arg('runs')) : Infinity;
const targets = (arg('targets')?.split(',') ?? [...TARGET_NAMES]) as TargetName[];
const firstSeed = Number(arg('seed') ?? Date.now() % 2 ** 31);
const jobs = Math.max(1, Number(arg('jobs') ?? 2));
const chunk = Math.max(1, Number(arg('chunk') ?? 2000));
const big = !flag('small');
const out = arg('out') ?? REGRESSION_DIR;

for (const t of targets)
  if (!(TARGET_NAMES as readonly string[]).includes(t)) {
    console.error(`unknown target '${t}' (targets: ${TARGET_NAMES.join(', ')})`);
    process.exit(2);
  }
if (!Number.isFinite(timeMs) || !Number.isFinite(firstSeed)) {
  console.error('--time and --seed take numbers');
  process.exit(2);
}

interface Tally {
  runs: number;
  ms: number;
  failures: number;
  slowestMs: number;
  slowest: string;
}
const tally = new Map<TargetName, Tally>(targets.map((t) => [t, { runs: 0, ms: 0, failures: 0, slowestMs: 0, slowest: '' }]));
const t0 = Date.now();
let seed = firstSeed;
let next = 0;
let found = 0;

console.log(`fuzz campaign: targets ${targets.join(', ')}; ${timeMs / 1000} s; first seed ${firstSeed}; ${jobs} job(s) of ${chunk} cases; ${big ? 'all seeds' : 'small seeds'}; case bound ${DEFAULT_BOUNDS.caseMs} ms`);

function pickTarget(): TargetName | null {
  for (let k = 0; k < targets.length; k++) {
    const t = targets[(next + k) % targets.length]!;
    if (tally.get(t)!.runs < runCap) {
      next = (next + k + 1) % targets.length;
      return t;
    }
  }
  return null;
}

async function lane(): Promise<void> {
  for (;;) {
    const left = timeMs - (Date.now() - t0);
    if (left < 1000) return;
    const target = pickTarget();
    if (!target) return;
    const s = seed++;
    const tl = tally.get(target)!;
    const r = await fuzzInWorker({ target, seed: s, numRuns: Math.min(chunk, runCap - tl.runs), timeLimitMs: left, cliEvery: 25, big });
    tl.runs += r.runs;
    tl.ms += r.ms;
    if (r.slowestMs > tl.slowestMs) {
      tl.slowestMs = r.slowestMs;
      tl.slowest = r.slowestOrigin;
    }
    if (r.failure) {
      tl.failures++;
      found++;
      const where = saveRegression(r.failure, s, out);
      console.log(`\n[${target}] FAILURE (seed ${s}): ${r.failure.input.origin}, ${r.failure.input.bytes.length} bytes -> ${where}.*`);
      for (const p of r.failure.problems) console.log(`  ${p.split('\n').join('\n  ')}`);
    } else process.stdout.write(`[${target} +${r.runs}] `);
  }
}

await Promise.all(Array.from({ length: jobs }, () => lane()));
console.log(`\n\ntarget     cases   failures  slowest case`);
for (const [t, x] of tally) console.log(`${t.padEnd(10)} ${String(x.runs).padStart(7)} ${String(x.failures).padStart(9)}   ${x.slowestMs.toFixed(0)} ms ${x.slowest}`);
console.log(`${((Date.now() - t0) / 1000).toFixed(0)} s; ${found} failure(s)${found ? `; fixtures in ${out}` : ''}`);
process.exit(found ? 1 : 0);
