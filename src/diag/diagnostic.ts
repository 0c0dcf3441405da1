/**
 * One model for every message the tool emits (syntax errors, semantic errors, check findings,
 * decoder errors, verify counterexamples). Codes are stable: tests, pipelines and users grep
 * for them. Each module owns a code range and registers its codes with `defineCodes`, so the
 * registry is the single source of truth for `iotopo explain`-style listings and uniqueness.
 *
 * Code ranges:
 *   IOT1xxx  DSL lexing/parsing          IOT11xx YAML reading / schema
 *   IOT2xxx  lowering (references, values, profile allocation)
 *   IOT3xxx  IORT encode/decode          IOT4xxx DTB encode/decode
 *   IOT5xxx  named checks (also carry a kebab-case check name)
 *   IOT6xxx  verify (table interpreters, replay proof)
 *   IOT7xxx  CLI, I/O, limits
 */
import type { BinLocation, Span } from './span';

export type Severity = 'error' | 'warning' | 'note';

export interface Related {
  message: string;
  span?: Span;
  loc?: BinLocation;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  /** Primary location in a source file... */
  span?: Span;
  /** ...or in a binary table. */
  loc?: BinLocation;
  related?: Related[];
  help?: string;
  /** Named check that produced it (IOT5xxx), e.g. "rid-overlap". */
  check?: string;
}

export interface CodeInfo {
  code: string;
  severity: Severity;
  title: string;
}

const registry = new Map<string, CodeInfo>();

/** Register a module's codes. Throws at load time on a duplicate (a test imports every module). */
export function defineCodes<T extends Record<string, { code: string; severity: Severity; title: string }>>(
  codes: T,
): T {
  for (const info of Object.values(codes)) {
    const prev = registry.get(info.code);
    if (prev && prev.title !== info.title) throw new Error(`duplicate diagnostic code ${info.code}`);
    registry.set(info.code, { code: info.code, severity: info.severity, title: info.title });
  }
  return codes;
}

export function allCodes(): CodeInfo[] {
  return [...registry.values()].sort((a, b) => a.code.localeCompare(b.code));
}

export function makeDiag(
  info: { code: string; severity: Severity },
  message: string,
  where: { span?: Span; loc?: BinLocation } = {},
  extra: { related?: Related[]; help?: string; check?: string; severity?: Severity } = {},
): Diagnostic {
  const d: Diagnostic = { code: info.code, severity: extra.severity ?? info.severity, message };
  if (where.span) d.span = where.span;
  if (where.loc) d.loc = where.loc;
  if (extra.related && extra.related.length) d.related = extra.related;
  if (extra.help) d.help = extra.help;
  if (extra.check) d.check = extra.check;
  return d;
}

/** Deterministic order: file, line, column, byte offset, code, message. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const file = (d: Diagnostic) => d.span?.file ?? d.loc?.file ?? '';
  return [...ds].sort(
    (a, b) =>
      file(a).localeCompare(file(b)) ||
      (a.span?.line ?? 0) - (b.span?.line ?? 0) ||
      (a.span?.col ?? 0) - (b.span?.col ?? 0) ||
      (a.loc?.byteOffset ?? 0) - (b.loc?.byteOffset ?? 0) ||
      (a.loc?.path ?? '').localeCompare(b.loc?.path ?? '') ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}

export const hasErrors = (ds: readonly Diagnostic[]): boolean => ds.some((d) => d.severity === 'error');

/** Result of a stage that may fail: a value (possibly partial) plus diagnostics. */
export interface Result<T> {
  value: T | null;
  diagnostics: Diagnostic[];
}
