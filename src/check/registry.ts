/**
 * The registry of named checks: one namespace for config, IORT and DT checks (so `-W name`
 * means the same everywhere), in run order. Names and codes are unique; prerequisites must
 * name checks of the same target (checked by test/check/registry.test.ts).
 */
import { configChecks } from './config';
import { dtChecks } from './dt/checks';
import { iortChecks } from './iort/checks';
import type { CheckDef, CheckInfo, CheckTarget } from './types';

// Each list is typed by its own context; the engine only hands a check the context of its target.
const ALL = [...configChecks, ...iortChecks, ...dtChecks] as unknown as CheckDef<unknown>[];

export function allChecks(): readonly CheckDef<unknown>[] {
  return ALL;
}

export function checksFor<Ctx>(target: CheckTarget): CheckDef<Ctx>[] {
  return ALL.filter((c) => c.target === target) as unknown as CheckDef<Ctx>[];
}

export function checkInfo(c: CheckDef<unknown>): CheckInfo {
  const { run: _run, ...info } = c;
  return info;
}

export function findCheck(name: string): CheckDef<unknown> | undefined {
  return ALL.find((c) => c.name === name);
}
