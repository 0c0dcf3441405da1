/**
 * Adapter between `build` and the replay proof (src/verify): keeps the build pipeline's view
 * small (diagnostics + a one-line summary) whatever the proof report grows into.
 */
import type { Diagnostic } from '../diag/diagnostic';
import type { IrMachine } from '../ir/types';

export interface BuildProof {
  ok: boolean;
  summary: string;
  diagnostics: Diagnostic[];
}

export function proveForBuild(_ir: IrMachine, _iort: Uint8Array, _dtb: Uint8Array): BuildProof {
  return { ok: true, summary: 'proof not available yet', diagnostics: [] };
}
