/**
 * Command-line toggles shared by every command that runs checks (`lint`, `checks`, and the front
 * end's `check` / `build`): `-W name`, `-E name`, `-W no-name`, repeatable, kept in the order
 * given (dtc processes them in order, so `-W no-x -W x` ends enabled).
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../cli/io';
import { resolveCheckLevels } from './index';
import type { CheckOptions, Level, Toggle } from './types';

/** Adds -W/-E to `cmd`; the returned function gives the toggles of this invocation in order. */
export function addCheckToggles(cmd: Command): () => Toggle[] {
  const toggles: Toggle[] = [];
  const collect = (flag: 'W' | 'E') => (value: string, prev: unknown) => {
    toggles.push({ flag, name: value });
    return prev;
  };
  cmd.addOption(
    new Option('-W, --warning <check>', 'enable a check as a warning (no-<check>: disable it); repeatable').argParser(collect('W')),
  );
  cmd.addOption(new Option('-E, --error <check>', 'enable a check as an error (no-<check>: disable it); repeatable').argParser(collect('E')));
  return () => [...toggles];
}

/** Resolves levels; an unknown check name is a usage error (exit 2), like dtc's "Unrecognized check name". */
export function levelsOrUsageError(options: CheckOptions): Map<string, Level> {
  const r = resolveCheckLevels(options);
  if (r.unknown.length)
    throw new UsageError(`unknown check name${r.unknown.length > 1 ? 's' : ''} ${r.unknown.map((n) => `'${n}'`).join(', ')} (see \`iotopo checks\`)`, 'IOT5000');
  return r.levels;
}

export const TOGGLE_HELP = `
Check toggles (repeatable, applied in order after the config's own levels):
  -W <check>       enable <check> as a warning (an error check becomes a warning)
  -E <check>       enable <check> as an error
  -W no-<check>    disable <check> and every check that depends on it
Enabling a check also enables its prerequisites. \`iotopo checks\` lists every check.`;
