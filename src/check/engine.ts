/**
 * Runs named checks the way dtc's checks.c does: in registry order, prerequisites first, a
 * check whose prerequisite failed is skipped (a broken foundation would only produce noise
 * downstream), and levels come from defaults, then the config, then command-line toggles.
 *
 * Level rules (dtc's enable_warning_error / disable_warning_error, adapted):
 * - `-W name` sets the check to warning, `-E name` to error. Enabling a check raises each of
 *   its prerequisites (transitively) to at least the same level, so a finding never depends
 *   on a silent check.
 * - `-W no-name` / `-E no-name` disable the check and every check that depends on it.
 * - There is no level below warning: an error can become a warning or be disabled, never a
 *   note. A disabled prerequisite still runs silently so its dependents know whether to run.
 */
import { defineCodes, makeDiag, type Diagnostic } from '../diag/diagnostic';
import type { BinLocation, Span } from '../diag/span';
import { pushTo } from './util';
import type { CheckDef, CheckInfo, CheckOptions, CheckStatus, CheckTarget, Finding, Level } from './types';

const INTERNAL = defineCodes({
  checkCrashed: { code: 'IOT5999', severity: 'error', title: 'a check failed internally' },
}).checkCrashed;

const RANK: Record<Level, number> = { off: 0, warning: 1, error: 2 };

export interface ResolvedLevels {
  levels: Map<string, Level>;
  /** Names that match no check, as given (with a `no-` prefix if it had one), in order. */
  unknown: string[];
}

export function resolveLevels(checks: readonly CheckInfo[], options: CheckOptions = {}): ResolvedLevels {
  const byName = new Map(checks.map((c) => [c.name, c] as const));
  const dependents = new Map<string, string[]>();
  for (const c of checks) for (const p of c.prereqs) pushTo(dependents, p, c.name);
  const levels = new Map(checks.map((c) => [c.name, c.level] as const));
  const unknown: string[] = [];

  const raise = (name: string, level: Level, seen: Set<string>) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const p of byName.get(name)?.prereqs ?? []) {
      if (RANK[levels.get(p) ?? 'off'] < RANK[level]) levels.set(p, level);
      raise(p, level, seen);
    }
  };
  const disable = (name: string, seen: Set<string>) => {
    if (seen.has(name)) return;
    seen.add(name);
    levels.set(name, 'off');
    for (const d of dependents.get(name) ?? []) disable(d, seen);
  };
  const apply = (name: string, level: Level, asGiven = name) => {
    if (!byName.has(name)) {
      unknown.push(asGiven);
      return;
    }
    if (level === 'off') return disable(name, new Set());
    levels.set(name, level);
    raise(name, level, new Set());
  };

  for (const [name, level] of Object.entries(options.config ?? {})) apply(name, level);
  for (const t of options.toggles ?? []) {
    if (t.name.startsWith('no-')) apply(t.name.slice(3), 'off', t.name);
    else apply(t.name, t.flag === 'E' ? 'error' : 'warning');
  }
  return { levels, unknown };
}

export interface RunResult {
  diagnostics: Diagnostic[];
  status: Map<string, CheckStatus>;
}

/**
 * Runs every check of `target` that is enabled (or needed as a prerequisite of an enabled
 * one). `fallback` locates findings that carry no location of their own.
 */
export function runChecks<Ctx>(
  checks: readonly CheckDef<Ctx>[],
  target: CheckTarget,
  ctx: Ctx,
  levels: Map<string, Level>,
  fallback: { span?: Span; loc?: BinLocation } = {},
): RunResult {
  const byName = new Map(checks.map((c) => [c.name, c] as const));
  const status = new Map<string, CheckStatus>();
  const diagnostics: Diagnostic[] = [];
  const inProgress = new Set<string>();

  const emit = (c: CheckDef<Ctx>, level: Level, f: Finding) => {
    if (level === 'off') return;
    const where = f.span || f.loc ? { span: f.span, loc: f.loc } : fallback;
    diagnostics.push(
      makeDiag({ code: c.code, severity: level }, f.message, where, { related: f.related, help: f.help, check: c.name }),
    );
  };

  const runOne = (c: CheckDef<Ctx>): CheckStatus => {
    const known = status.get(c.name);
    if (known) return known;
    // A prerequisite cycle would be a registry bug; treat the back edge as failed.
    if (inProgress.has(c.name)) return 'failed';
    inProgress.add(c.name);
    let result: CheckStatus = 'passed';
    for (const p of c.prereqs) {
      const pc = byName.get(p);
      if (pc && runOne(pc) !== 'passed') result = 'skipped';
    }
    if (result === 'passed') {
      const level = levels.get(c.name) ?? c.level;
      let count = 0;
      try {
        c.run(ctx, (f) => {
          count++;
          emit(c, level, f);
        });
      } catch (e) {
        count++;
        const msg = e instanceof Error ? e.message : String(e);
        diagnostics.push(
          makeDiag(INTERNAL, `check '${c.name}' failed internally: ${msg}`, fallback, {
            check: c.name,
            help: 'please report this with the input that caused it',
          }),
        );
      }
      if (count > 0) result = 'failed';
    }
    inProgress.delete(c.name);
    status.set(c.name, result);
    return result;
  };

  const needed = new Set<string>();
  const need = (name: string) => {
    if (needed.has(name)) return;
    needed.add(name);
    for (const p of byName.get(name)?.prereqs ?? []) need(p);
  };
  for (const c of checks) if (c.target === target && (levels.get(c.name) ?? c.level) !== 'off') need(c.name);
  for (const c of checks) if (c.target === target && needed.has(c.name)) runOne(c);
  return { diagnostics, status };
}
