/**
 * What every fuzz case must satisfy, whatever the input: diagnostics are well formed (a
 * registered code, a severity, a message and a location that lies inside the input), no
 * "internal error" diagnostic (those are how the tool reports its own crashes, so one here is
 * a crash the fuzzer found), and exit codes are 0, 1 or 2 and agree with the diagnostics.
 */
import { allCodes, type Diagnostic } from '../../../src/diag/diagnostic';

/** Codes the tool uses when it caught its own exception: each one is a bug. */
export const INTERNAL_CODES = new Set(['IOT7005', 'IOT7999', 'IOT3199', 'IOT5999']);

let known: Set<string> | null = null;
const registered = () => (known ??= new Set(allCodes().map((c) => c.code)));

export interface InputInfo {
  file: string;
  /** Text targets: where spans must lie (UTF-16 length of the text, or byte length). */
  textLength?: number;
  byteLength: number;
  kind: 'text' | 'binary';
}

export function diagnosticProblems(ds: readonly Diagnostic[], input: InputInfo): string[] {
  const out: string[] = [];
  const limit = Math.max(input.byteLength, input.textLength ?? 0);
  for (const d of ds) {
    const label = `${d.code} "${String(d.message).slice(0, 120)}"`;
    if (typeof d.code !== 'string' || !/^IOT\d{4}$/.test(d.code)) out.push(`malformed code: ${label}`);
    else if (!registered().has(d.code)) out.push(`unregistered code: ${label}`);
    if (INTERNAL_CODES.has(d.code)) out.push(`internal error reported: ${label}`);
    if (d.severity !== 'error' && d.severity !== 'warning' && d.severity !== 'note') out.push(`bad severity ${String(d.severity)}: ${label}`);
    if (typeof d.message !== 'string' || d.message.length === 0) out.push(`empty message: ${label}`);
    if (d.span) {
      const s = d.span;
      const ints = [s.line, s.col, s.endLine, s.endCol, s.offset, s.length].every((x) => Number.isInteger(x));
      if (!ints || s.line < 1 || s.col < 1 || s.endLine < s.line || (s.endLine === s.line && s.endCol < s.col) || s.offset < 0 || s.length < 0 || s.offset + s.length > limit)
        out.push(`span outside the input: ${label} at ${JSON.stringify(s)}`);
    } else if (d.loc) {
      const l = d.loc;
      const hasOffset = l.byteOffset !== undefined;
      if (!hasOffset && !l.path) out.push(`location without byte offset or node path: ${label}`);
      if (hasOffset && (!Number.isInteger(l.byteOffset) || l.byteOffset! < 0 || l.byteOffset! > limit))
        out.push(`byte offset outside the input: ${label} at ${l.byteOffset}`);
      if (l.path !== undefined && (typeof l.path !== 'string' || !l.path.startsWith('/'))) out.push(`bad node path: ${label} at ${l.path}`);
    } else out.push(`no location: ${label}`);
    if (input.kind === 'text' && d.severity === 'error' && !d.span && !d.loc?.file) out.push(`text input error without a line:col: ${label}`);
  }
  return out;
}

export function exitProblems(code: unknown, hasErrorDiags: boolean, what: string): string[] {
  if (code !== 0 && code !== 1 && code !== 2) return [`${what}: exit code ${String(code)} is not 0, 1 or 2`];
  if (hasErrorDiags && code === 0) return [`${what}: exit 0 with error diagnostics`];
  return [];
}
