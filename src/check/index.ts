/**
 * Public API of the named checks.
 *
 *   runConfigChecks(ir, options)   -> Diagnostic[]   (for `iotopo check` / `iotopo build`)
 *   lintBytes(bytes, file, options) -> LintResult    (for `iotopo lint` on IORT tables and DTBs)
 *   resolveCheckLevels(options)     -> levels + unknown names (usage errors)
 *
 * `options.config` is the hook for per-check levels from a config file; `options.toggles` are the
 * command-line `-W`/`-E` toggles in order. Unknown names are reported, never ignored: the CLI
 * turns them into a usage error (exit 2), runConfigChecks into an IOT5000 diagnostic.
 */
import { makeDiag, sortDiagnostics, type Diagnostic } from '../diag/diagnostic';
import type { IrMachine } from '../ir/types';
import { ENGINE_CODES } from './codes';
import { buildConfigCtx, type ConfigCtx } from './config';
import { resolveLevels, runChecks, type ResolvedLevels } from './engine';
import { allChecks, checkInfo, checksFor } from './registry';
import type { CheckOptions, Level } from './types';

export type { CheckOptions, Level, Toggle, CheckTarget, CheckInfo } from './types';
export { lintBytes, type LintResult } from './lint';
export { allChecks, checkInfo, findCheck } from './registry';
export { toSarif } from './sarif';

export function resolveCheckLevels(options: CheckOptions = {}): ResolvedLevels {
  return resolveLevels(allChecks().map(checkInfo), options);
}

/** Levels to use, or the unknown-name diagnostics when some toggle names no check. */
export function levelsOrDiagnostics(options: CheckOptions): { levels: Map<string, Level>; diagnostics: Diagnostic[] } {
  const r = resolveCheckLevels(options);
  const diagnostics = r.unknown.map((n) => makeDiag(ENGINE_CODES.unknownCheck, `unknown check name '${n}' (see \`iotopo checks\`)`));
  return { levels: r.levels, diagnostics };
}

/** Runs every enabled config check on a lowered machine; diagnostics sorted, deterministic. */
export function runConfigChecks(ir: IrMachine, options: CheckOptions = {}): Diagnostic[] {
  const { levels, diagnostics } = levelsOrDiagnostics(options);
  return sortDiagnostics([...diagnostics, ...configChecksWithLevels(ir, levels)]);
}

/** As runConfigChecks, with levels already resolved (see resolveCheckLevels). */
export function configChecksWithLevels(ir: IrMachine, levels: Map<string, Level>): Diagnostic[] {
  const r = runChecks(checksFor<ConfigCtx>('config'), 'config', buildConfigCtx(ir), levels, { span: ir.span });
  return sortDiagnostics(r.diagnostics);
}
