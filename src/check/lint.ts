/**
 * Lint of binary tables: decode with the back end's decoder, then run the named checks of that
 * target. A decoder failure is a finding (IOT5900 plus the decoder's own diagnostics), never an
 * exception. Decoder findings that a named check re-derives from the model are dropped so that
 * each problem is reported once, under a name the user can toggle.
 */
import { decodeDtb } from '../backends/fdt/decode';
import { decodeIort } from '../backends/iort/decode';
import { makeDiag, sortDiagnostics, type Diagnostic } from '../diag/diagnostic';
import { ENGINE_CODES } from './codes';
import { buildDtCtx, type DtCtx } from './dt/context';
import { runChecks } from './engine';
import type { IortCtx } from './iort/context';
import { checksFor } from './registry';
import type { Level } from './types';

export type LintKind = 'iort' | 'dtb' | 'unknown';

export interface LintResult {
  kind: LintKind;
  /** True when the decoder produced a model and the checks ran. */
  decoded: boolean;
  diagnostics: Diagnostic[];
}

/** Decoder codes that iort-structure reports by name (layout problems with byte offsets). */
const IORT_STRUCTURAL = new Set(['IOT3103', 'IOT3107', 'IOT3108', 'IOT3109', 'IOT3110', 'IOT3111', 'IOT3116', 'IOT3117', 'IOT3118']);
/** Decoder codes a named IORT check re-derives from the model (checksum, revision, references...). */
const IORT_REDERIVED = new Set(['IOT3105', 'IOT3106', 'IOT3112', 'IOT3113', 'IOT3114', 'IOT3119', 'IOT3120', 'IOT3122']);

function decodeFailed(file: string, what: string, diags: Diagnostic[]): Diagnostic {
  const first = diags.find((d) => d.severity === 'error');
  // About the whole table, so located at its first byte (every diagnostic carries a location).
  return makeDiag(ENGINE_CODES.lintDecodeFailed, `${what} could not be decoded, so no check ran${first ? ` (${first.code})` : ''}`, {
    loc: { file, byteOffset: 0 },
  });
}

export function lintBytes(bytes: Uint8Array, file: string, kind: LintKind, levels: Map<string, Level>): LintResult {
  if (kind === 'iort') {
    const { value, diagnostics } = decodeIort(bytes, file);
    if (!value) return { kind, decoded: false, diagnostics: sortDiagnostics([...diagnostics, decodeFailed(file, 'the IORT table', diagnostics)]) };
    const structural = diagnostics.filter((d) => IORT_STRUCTURAL.has(d.code));
    const passed = diagnostics.filter((d) => !IORT_STRUCTURAL.has(d.code) && !IORT_REDERIVED.has(d.code));
    const ctx: IortCtx = { table: value, file, structural };
    const r = runChecks(checksFor<IortCtx>('iort'), 'iort', ctx, levels, { loc: { file, byteOffset: 0 } });
    return { kind, decoded: true, diagnostics: sortDiagnostics([...passed, ...r.diagnostics]) };
  }
  if (kind === 'dtb') {
    const { value, diagnostics } = decodeDtb(bytes, file);
    if (!value) return { kind, decoded: false, diagnostics: sortDiagnostics([...diagnostics, decodeFailed(file, 'the DTB', diagnostics)]) };
    const ctx: DtCtx = buildDtCtx(value, file);
    const r = runChecks(checksFor<DtCtx>('dt'), 'dt', ctx, levels, { loc: { file, path: '/' } });
    return { kind, decoded: true, diagnostics: sortDiagnostics([...diagnostics, ...r.diagnostics]) };
  }
  return {
    kind,
    decoded: false,
    diagnostics: [makeDiag(ENGINE_CODES.lintUnknownInput, 'not an IORT table (signature "IORT") or a DTB (magic 0xd00dfeed)', { loc: { file, byteOffset: 0 } })],
  };
}
