/**
 * The verify stage of the benchmarks, kept pluggable while the replay proof is being written:
 * the stage is timed as `compile()` runs it (src/pipeline/prove.ts, what `iotopo build` runs).
 * When that adapter is still the placeholder and src/verify/index.ts exports `proveTables`,
 * the benchmark calls `proveTables` directly instead, so the proof is timed as soon as it
 * exists. `impl` says which one was measured; a placeholder is reported, never timed as a proof.
 */
import type { IrMachine } from '../src/ir/types';
import { proveForBuild } from '../src/pipeline/prove';

export interface ProofRun {
  ok: boolean;
  summary: string;
  errors: string[];
  /** RIDs the proof covered, when the prover says. */
  ridsTotal?: number;
}

export interface Prover {
  /** 'build' (compile()'s verify stage), 'proveTables' (called directly) or 'placeholder'. */
  impl: 'build' | 'proveTables' | 'placeholder';
  note: string;
  /** Null when the build's own verify stage is the proof (time it from compile()). */
  prove: ((ir: IrMachine, iort: Uint8Array, dtb: Uint8Array) => ProofRun) | null;
}

const PLACEHOLDER = 'proof not available yet';

type VerifyModule = typeof import('../src/verify/index');

function asRun(rep: ReturnType<VerifyModule['proveTables']>): ProofRun {
  const errors = rep.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);
  const rids = rep.summary.ridsTotal;
  return { ok: rep.proven && errors.length === 0, summary: `${rids} RIDs, ${rep.summary.transactions} transactions`, errors, ridsTotal: rids };
}

export async function loadProver(sample: { ir: IrMachine; iort: Uint8Array; dtb: Uint8Array }): Promise<Prover> {
  const viaBuild = proveForBuild(sample.ir, sample.iort, sample.dtb);
  if (viaBuild.summary !== PLACEHOLDER) return { impl: 'build', note: 'compile() verify stage (src/pipeline/prove.ts)', prove: null };
  let mod: Partial<VerifyModule> | null = null;
  try {
    mod = (await import('../src/verify/index')) as Partial<VerifyModule>;
  } catch {
    mod = null;
  }
  const proveTables = mod?.proveTables;
  if (typeof proveTables === 'function') {
    const prove = (ir: IrMachine, iort: Uint8Array, dtb: Uint8Array) => asRun(proveTables({ ir, iort, dtb }));
    const first = prove(sample.ir, sample.iort, sample.dtb);
    if (!first.ok) throw new Error(`proveTables rejects the smallest generated machine:\n${first.errors.slice(0, 10).join('\n')}`);
    return { impl: 'proveTables', note: 'proveTables (src/verify/index.ts) called directly: the build adapter is still a placeholder', prove };
  }
  return { impl: 'placeholder', note: 'no replay proof in the tree yet (src/pipeline/prove.ts is a placeholder, no proveTables export)', prove: null };
}
