/** `iotopo checks`: lists the named checks with their code, level, target, rule and source. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { EXIT_OK, EXIT_USAGE, type Io } from '../io';
import { allChecks, checkInfo } from '../../check/index';
import { addCheckToggles, levelsOrUsageError, TOGGLE_HELP } from '../../check/cli-options';
import { toJson } from '../../util/json';

function wrap(text: string, width: number, indent: string): string {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(indent + line);
  return out.join('\n');
}

export function register(program: Command, io: Io, done: (code: number) => void): void {
  const cmd = program
    .command('checks')
    .description('list the named checks (name, code, default level, target, rule and source)')
    .argument('[names...]', 'show only these checks')
    .addOption(new Option('--format <fmt>', 'output format').choices(['text', 'json']).default('text'));
  const toggles = addCheckToggles(cmd);
  cmd
    .addHelpText(
      'after',
      `${TOGGLE_HELP}
With toggles, the LEVEL column shows the level they give.

Examples:
  $ iotopo checks                          every check with its explanation
  $ iotopo checks iort-boundary-shared     one check
  $ iotopo checks --format json            machine-readable list
  $ iotopo checks -W rid-unmapped          show the levels after a toggle`,
    )
    .action((names: string[], opts: { format: 'text' | 'json' }) => {
      const levels = levelsOrUsageError({ toggles: toggles() });
      const all = allChecks();
      const unknown = names.filter((n) => !all.some((c) => c.name === n || c.code === n));
      if (unknown.length) {
        io.err(`iotopo: error IOT5000: unknown check name${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}\n`);
        return done(EXIT_USAGE);
      }
      const shown = names.length ? all.filter((c) => names.includes(c.name) || names.includes(c.code)) : all;
      const rows = shown.map((c) => ({ ...checkInfo(c), effectiveLevel: levels.get(c.name) ?? c.level }));
      if (opts.format === 'json') {
        io.out(toJson({ checks: rows }));
        return done(EXIT_OK);
      }
      const out: string[] = [];
      for (const r of rows) {
        out.push(`${r.name}  ${r.code}  ${r.effectiveLevel}${r.effectiveLevel !== r.level ? ` (default ${r.level})` : ''}  [${r.target}]`);
        out.push(wrap(r.title, 96, '    '));
        out.push(wrap(r.explain, 96, '    '));
        out.push(wrap(`Source: ${r.source}`, 96, '    '));
        if (r.prereqs.length) out.push(`    Prerequisites: ${r.prereqs.join(', ')}`);
        out.push('');
      }
      out.push(`${rows.length} check${rows.length === 1 ? '' : 's'}`);
      io.out(out.join('\n') + '\n');
      done(EXIT_OK);
    });
}
