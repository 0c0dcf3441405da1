/**
 * Adapter between `build` and the replay proof (src/verify): keeps the build pipeline's view
 * small (diagnostics + a one-line summary + the counterexample text) whatever the proof
 * report grows into. The proof runs on the bytes build is about to write, never on the IR
 * alone: the IR is only the statement of intent the bytes are checked against.
 */
import type { Diagnostic } from '../diag/diagnostic';
import type { IrMachine } from '../ir/types';
import { proveTables, renderProofText, summaryText, type ProofReport } from '../verify/index';

/** Cap for decoding blobs iotopo emitted itself (the 4096-bridge benchmark machine is ~3 MiB). */
export const SELF_DTB_CAP = 256 * 1024 * 1024;

export interface BuildProof {
  ok: boolean;
  summary: string;
  /** Counterexample traces (empty when proven). */
  text: string;
  diagnostics: Diagnostic[];
  report: ProofReport;
}

export function proveForBuild(ir: IrMachine, iort: Uint8Array, dtb: Uint8Array): BuildProof {
  // Our own blob: decode it whatever its size (build warns when it is over Linux's limit).
  const report = proveTables({ iort, dtb, ir, files: { iort: 'iort.bin', dtb: 'machine.dtb' }, maxDtbBytes: SELF_DTB_CAP });
  return {
    ok: report.proven,
    summary: summaryText(report),
    text: report.proven ? '' : renderProofText(report),
    diagnostics: report.diagnostics,
    report,
  };
}
