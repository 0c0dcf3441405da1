/**
 * The check model, in the spirit of dtc's checks.c: every check has a kebab-case name, a
 * stable IOT5xxx code, a default level, an explanation with its source, prerequisites and a
 * target (what it inspects). Checks are pure functions of their target; they report through
 * a Reporter and never decide their own severity (the engine applies the effective level).
 */
import type { Related } from '../diag/diagnostic';
import type { BinLocation, Span } from '../diag/span';

export type Level = 'error' | 'warning' | 'off';

/** What a check inspects: the lowered config, a decoded IORT table or a decoded DTB. */
export type CheckTarget = 'config' | 'iort' | 'dt';

export interface Finding {
  message: string;
  span?: Span;
  loc?: BinLocation;
  related?: Related[];
  help?: string;
}

export type Reporter = (f: Finding) => void;

export interface CheckDef<Ctx> {
  name: string;
  code: string;
  level: Level;
  target: CheckTarget;
  /** One line, shown in listings and as the SARIF short description. */
  title: string;
  /** One paragraph: the rule and what goes wrong when it is broken. */
  explain: string;
  /** Where the rule comes from: spec section, Linux behaviour (FW_BUG text), QEMU, seed thread. */
  source: string;
  /** Names of checks that must pass first; a failed prerequisite skips this check. */
  prereqs: string[];
  run(ctx: Ctx, report: Reporter): void;
}

/** Check metadata without the function (listings, SARIF rules). */
export type CheckInfo = Omit<CheckDef<unknown>, 'run'>;

/** One command-line toggle, kept in command-line order: `-W name`, `-E name`, `-W no-name`. */
export interface Toggle {
  flag: 'W' | 'E';
  name: string;
}

/**
 * Options for a check run. `config` is the hook for per-check levels written in the config
 * file (the front end fills it); command-line toggles are applied after it, in order.
 */
export interface CheckOptions {
  config?: Record<string, Level>;
  toggles?: Toggle[];
}

export type CheckStatus = 'passed' | 'failed' | 'skipped';
