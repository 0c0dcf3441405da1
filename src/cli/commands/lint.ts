/**
 * `iotopo lint FILE...`: lints IORT tables and DTBs taken from firmware or machines, and
 * topology configs. Each file is sniffed (IORT signature, FDT magic, else a config by its
 * name), decoded by its back end (or parsed and lowered by the front end) and run through the
 * named checks of that target. Findings go to stdout (they are the product); files that cannot
 * be read or recognised are reported and make the exit status 2.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { EXIT_INPUT, EXIT_OK, EXIT_USAGE, type Io, UsageError } from '../io';
import { readInput, sniff } from './decode';
import { configChecksWithLevels, lintBytes, toSarif } from '../../check/index';
import { addCheckToggles, levelsOrUsageError, TOGGLE_HELP } from '../../check/cli-options';
import type { Level } from '../../check/types';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../../diag/diagnostic';
import { renderText, summaryLine } from '../../diag/render';
import { loadConfigBytes } from '../../ir/index';
import { toJson } from '../../util/json';

type Format = 'text' | 'json' | 'sarif';

interface FileResult {
  file: string;
  kind: string;
  decoded: boolean;
  diagnostics: Diagnostic[];
  text?: string;
}

const CONFIG_NAME = /\.(iotopo|ya?ml)$/i;

function lintConfig(bytes: Uint8Array, file: string, levels: Map<string, Level>): FileResult {
  const r = loadConfigBytes(bytes, file);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const checks = r.value ? configChecksWithLevels(r.value, levels) : [];
  return { file, kind: 'config', decoded: r.value !== null, diagnostics: sortDiagnostics([...r.diagnostics, ...checks]), text };
}

export function register(program: Command, io: Io, done: (code: number) => void): void {
  const cmd = program
    .command('lint')
    .description('lint IORT tables, DTBs and topology configs with the named checks (see `iotopo checks`)')
    .argument('<files...>', 'IORT tables (e.g. /sys/firmware/acpi/tables/IORT), flattened device tree blobs, .iotopo/.yaml configs')
    .addOption(new Option('--format <fmt>', 'output format').choices(['text', 'json', 'sarif']).default('text'));
  const toggles = addCheckToggles(cmd);
  cmd
    .addHelpText(
      'after',
      `
The kind of each file is detected from its first bytes ("IORT" or the FDT magic 0xd00dfeed);
other files named *.iotopo, *.yaml or *.yml are read as topology configs. Locations are byte
offsets (IORT), node paths (DTB) or line:column (configs). --format sarif writes SARIF 2.1.0
for code-scanning tools.
${TOGGLE_HELP}

Exit status: 0 no errors, 1 a file has errors (or could not be decoded), 2 usage or I/O problem.

Examples:
  $ iotopo lint /sys/firmware/acpi/tables/IORT
  $ iotopo lint out/iort.bin out/machine.dtb --format sarif > lint.sarif
  $ iotopo lint firmware.dtb -W no-dt-smmu-node-name -E dt-iommu-map-coverage
  $ iotopo lint examples/seed-nested.iotopo -W rid-unmapped`,
    )
    .action((files: string[], opts: { format: Format }) => {
      const levels = levelsOrUsageError({ toggles: toggles() });
      const results: FileResult[] = [];
      let ioProblem = false;
      for (const file of files) {
        let bytes: Uint8Array;
        try {
          bytes = readInput(file);
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
          io.err(`iotopo: error ${e.code}: ${e.message}\n`);
          ioProblem = true;
          continue;
        }
        const kind = sniff(bytes);
        if (kind === 'unknown' && CONFIG_NAME.test(file)) {
          results.push(lintConfig(bytes, file, levels));
          continue;
        }
        const r = lintBytes(bytes, file, kind, levels);
        if (kind === 'unknown') ioProblem = true;
        results.push({ ...r, file });
      }
      const all: Diagnostic[] = results.flatMap((r) => r.diagnostics);
      if (opts.format === 'sarif') io.out(JSON.stringify(toSarif(all), null, 2) + '\n');
      else if (opts.format === 'json')
        io.out(
          toJson({
            files: results.map((r) => ({
              file: r.file,
              kind: r.kind,
              decoded: r.decoded,
              errors: r.diagnostics.filter((d) => d.severity === 'error').length,
              warnings: r.diagnostics.filter((d) => d.severity === 'warning').length,
            })),
            diagnostics: all,
          }),
        );
      else {
        const texts = new Map(results.filter((r) => r.text !== undefined).map((r) => [r.file, r.text!] as const));
        io.out(renderText(all, (f) => texts.get(f)));
        io.out(`${summaryLine(all)} in ${results.length} file${results.length === 1 ? '' : 's'}\n`);
      }
      done(ioProblem ? EXIT_USAGE : hasErrors(all) ? EXIT_INPUT : EXIT_OK);
    });
}
