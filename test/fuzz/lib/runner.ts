/**
 * Runs one target for a fixed number of cases (or a time budget) with a fixed fast-check seed:
 * every case is timed and its heap growth measured around the target's operation, so a case
 * that is slow or allocates far beyond its input size fails like one that breaks an invariant.
 * fast-check shrinks a failing case before it is reported.
 *
 * This runs in the calling thread; worker.ts wraps it in a worker thread with a watchdog for
 * the cases that never return (a synchronous infinite loop cannot be interrupted in-thread).
 */
import fc from 'fast-check';
import { getHeapStatistics } from 'node:v8';
import { type FuzzInput, type RunCtx, Scratch, TARGETS, type TargetName } from './targets';

export interface Bounds {
  /** Wall time one case may take. */
  caseMs: number;
  /** Heap growth one case may cause: fixed part plus a multiple of the input size. */
  heapFixed: number;
  heapPerByte: number;
}

export const DEFAULT_BOUNDS: Bounds = {
  caseMs: Number(process.env.FUZZ_CASE_MS ?? 2000),
  heapFixed: 128 * 1024 * 1024,
  heapPerByte: 64,
};

export interface RunOptions {
  target: TargetName;
  seed: number;
  numRuns: number;
  /** Stop starting new cases after this long (the count is then what fitted). */
  timeLimitMs?: number;
  /** Every n-th case also runs the CLI command in process (0 = never). */
  cliEvery?: number;
  /** Include the large real-world seeds (see SMALL_SEED_BYTES). */
  big?: boolean;
  selftest?: number[];
  bounds?: Bounds;
  onCase?: (input: FuzzInput) => void;
  onCaseEnd?: () => void;
}

export interface Failure {
  input: FuzzInput;
  problems: string[];
}

export interface TargetReport {
  target: TargetName;
  seed: number;
  runs: number;
  ms: number;
  slowestMs: number;
  slowestOrigin: string;
  failure: Failure | null;
}

class CaseFailed extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** JS heap plus external memory (typed-array backing stores live outside the JS heap). */
const heapUsed = () => {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
};

/** One case: the target's invariants plus the time and memory bounds. */
export async function checkCase(input: FuzzInput, ctx: RunCtx, bounds: Bounds = DEFAULT_BOUNDS): Promise<{ problems: string[]; ms: number }> {
  const target = TARGETS[input.target];
  const h0 = heapUsed();
  const t0 = performance.now();
  let problems: string[];
  try {
    problems = await target.run(input, ctx);
  } catch (e) {
    const err = e as Error;
    problems = [`uncaught ${err?.name ?? 'exception'}: ${err?.message ?? String(e)}\n${(err?.stack ?? '').split('\n').slice(1, 6).join('\n')}`];
  }
  const ms = performance.now() - t0;
  const grown = heapUsed() - h0;
  const size = input.bytes.length + (input.twin?.length ?? 0);
  if (ms > bounds.caseMs) problems.push(`took ${ms.toFixed(0)} ms, over the ${bounds.caseMs} ms bound (input ${size} bytes)`);
  const heapLimit = bounds.heapFixed + bounds.heapPerByte * size;
  if (grown > heapLimit) problems.push(`heap grew by ${(grown / 2 ** 20).toFixed(1)} MiB, over the ${(heapLimit / 2 ** 20).toFixed(1)} MiB bound for a ${size}-byte input`);
  return { problems, ms };
}

export async function fuzzTarget(opts: RunOptions): Promise<TargetReport> {
  const target = TARGETS[opts.target];
  const bounds = opts.bounds ?? DEFAULT_BOUNDS;
  const scratch = new Scratch();
  let runs = 0;
  let slowestMs = 0;
  let slowestOrigin = '';
  const t0 = performance.now();
  try {
    const prop = fc.asyncProperty(target.arbitrary({ big: opts.big ?? false, selftest: opts.selftest }), async (input) => {
      const ctx: RunCtx = { cli: !!opts.cliEvery && runs % opts.cliEvery === 0, scratch };
      runs++;
      opts.onCase?.(input);
      const r = await checkCase(input, ctx, bounds);
      opts.onCaseEnd?.();
      if (r.ms > slowestMs) {
        slowestMs = r.ms;
        slowestOrigin = `${input.origin} (${input.bytes.length} bytes)`;
      }
      if (r.problems.length) throw new CaseFailed(r.problems);
    });
    const out = await fc.check(prop, {
      seed: opts.seed,
      numRuns: opts.numRuns,
      ...(opts.timeLimitMs ? { interruptAfterTimeLimit: opts.timeLimitMs, markInterruptAsFailure: false } : {}),
      // Shrinking re-runs the property; a slow case shrinks slowly, so cap it.
      endOnFailure: false,
    });
    let failure: Failure | null = null;
    if (out.failed && out.counterexample) {
      const input = out.counterexample[0] as FuzzInput;
      const err = out.errorInstance;
      failure = { input, problems: err instanceof CaseFailed ? err.problems : [String((err as Error)?.message ?? err)] };
    }
    return { target: opts.target, seed: opts.seed, runs: out.numRuns, ms: performance.now() - t0, slowestMs, slowestOrigin, failure };
  } finally {
    scratch.dispose();
  }
}
