/**
 * Runs a target in a worker thread under a watchdog. The worker copies each case into shared
 * memory before running it; if a case runs past the hang limit the watchdog terminates the
 * worker (V8 interrupts even a tight synchronous loop) and reports that case, and if the worker
 * runs out of its heap limit the case in flight is reported as a memory blow-up. Both the CI
 * tests and the open-ended campaign use this, so neither can hang on a hostile input.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { decodeInput, encodeInput } from './serialize';
import { type Bounds, DEFAULT_BOUNDS, fuzzTarget, type TargetReport } from './runner';
import type { FuzzInput, TargetName } from './targets';

export interface WorkerJob {
  target: TargetName;
  seed: number;
  numRuns: number;
  timeLimitMs?: number;
  cliEvery?: number;
  big?: boolean;
  selftest?: number[];
  bounds?: Bounds;
}

export interface WorkerOptions {
  /** A case running longer than this is a hang (the worker is killed). */
  hangMs?: number;
  /** Old-generation heap of the worker: beyond it the case in flight is a memory blow-up. */
  maxHeapMb?: number;
}

const HEADER = 32;
const MAX_CASE_BYTES = 24 << 20;

interface Shared {
  state: Int32Array;
  started: Float64Array;
  data: Uint8Array;
}

function shared(sab: SharedArrayBuffer): Shared {
  return { state: new Int32Array(sab, 0, 4), started: new Float64Array(sab, 16, 1), data: new Uint8Array(sab, HEADER) };
}

export function fuzzInWorker(job: WorkerJob, opts: WorkerOptions = {}): Promise<TargetReport> {
  const hangMs = opts.hangMs ?? Math.max(10_000, 5 * (job.bounds ?? DEFAULT_BOUNDS).caseMs);
  const sab = new SharedArrayBuffer(HEADER + MAX_CASE_BYTES);
  const sh = shared(sab);
  const inFlight = (): FuzzInput | null => {
    const n = Atomics.load(sh.state, 1);
    return n > 0 ? decodeInput(sh.data.slice(0, n)) : null;
  };
  const lost = (why: string): TargetReport => {
    const input = inFlight();
    return {
      target: job.target,
      seed: job.seed,
      runs: Atomics.load(sh.state, 2),
      ms: 0,
      slowestMs: 0,
      slowestOrigin: '',
      failure: input
        ? { input, problems: [why] }
        : { input: { target: job.target, file: 'unknown', bytes: new Uint8Array(0), origin: 'case too large to keep' }, problems: [why] },
    };
  };
  return new Promise((resolve) => {
    const w = new Worker(new URL('./boot.mjs', import.meta.url), {
      workerData: { entry: import.meta.url, job, sab },
      resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb ?? 1536 },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    const finish = (r: TargetReport) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      resolve(r);
    };
    const timer = setInterval(() => {
      if (Atomics.load(sh.state, 0) === 1 && Date.now() - sh.started[0]! > hangMs) {
        const r = lost(`hang: the case did not finish within ${hangMs} ms (worker terminated)`);
        void w.terminate();
        finish(r);
      }
    }, 100);
    w.on('message', (m: TargetReport) => finish(m));
    w.on('error', (e: Error & { code?: string }) =>
      finish(lost(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `memory blow-up: the worker exceeded its ${opts.maxHeapMb ?? 1536} MiB heap` : `worker crashed: ${e.message}`)),
    );
    w.on('exit', (code) => finish(lost(`worker exited with code ${code} before reporting`)));
  });
}

async function workerMain(): Promise<void> {
  const { job, sab } = workerData as { job: WorkerJob; sab: SharedArrayBuffer };
  const sh = shared(sab);
  const report = await fuzzTarget({
    ...job,
    onCase(input) {
      const b = encodeInput(input);
      if (b.length <= sh.data.length) {
        sh.data.set(b);
        Atomics.store(sh.state, 1, b.length);
      } else Atomics.store(sh.state, 1, 0);
      sh.started[0] = Date.now();
      Atomics.store(sh.state, 0, 1);
      Atomics.add(sh.state, 2, 1);
    },
    onCaseEnd() {
      Atomics.store(sh.state, 0, 0);
    },
  });
  parentPort!.postMessage(report);
}

if (!isMainThread && (workerData as { entry?: string } | null)?.entry === import.meta.url) await workerMain();
