/**
 * `iotopo lint FILE...`: lints IORT tables and DTBs taken from firmware or machines. Each file is
 * sniffed (IORT signature or FDT magic), decoded by its back end and run through the named checks
 * of that target. Findings go to stdout (they are the product); unreadable files to stderr.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { EXIT_INPUT, EXIT_OK, EXIT_USAGE, type Io, UsageError } from '../io';
import { readInput, sniff } from './decode';
import { lintBytes, toSarif, type LintResult } from '../../check/index';
import { addCheckToggles, levelsOrUsageError, TOGGLE_HELP } from '../../check/cli-options';
import { hasErrors, type Diagnostic } from '../../diag/diagnostic';
import { renderText, summaryLine } from '../../diag/render';
import { toJson } from '../../util/json';

type Format = 'text' | 'json' | 'sarif';

export function register(program: Command, io: Io, done: (code: number) => void): void {
  const cmd = program
    .command('lint')
    .description('lint IORT tables and DTBs: ID-mapping overlaps and gaps, references, RMRs, SMMUv3 binding rules')
    .argument('<files...>', 'IORT tables (e.g. /sys/firmware/acpi/tables/IORT) and flattened device tree blobs')
    .addOption(new Option('--format <fmt>', 'output format').choices(['text', 'json', 'sarif']).default('text'));
  const toggles = addCheckToggles(cmd);
  cmd
    .addHelpText(
      'after',
      `
The kind of each file is detected from its first bytes ("IORT" or the FDT magic 0xd00dfeed).
Locations are byte offsets (IORT) or node paths (DTB). --format sarif writes SARIF 2.1.0 for
code-scanning tools.
${TOGGLE_HELP}

Exit status: 0 no errors, 1 a file has errors (or could not be decoded), 2 usage or I/O problem.

Examples:
  $ iotopo lint /sys/firmware/acpi/tables/IORT
  $ iotopo lint out/iort.bin out/machine.dtb --format sarif > lint.sarif
  $ iotopo lint firmware.dtb -W no-dt-smmu-node-name -E dt-iommu-map-coverage`,
    )
    .action((files: string[], opts: { format: Format }) => {
      const levels = levelsOrUsageError({ toggles: toggles() });
      const results: (LintResult & { file: string })[] = [];
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
        io.out(renderText(all));
        io.out(`${summaryLine(all)} in ${results.length} file${results.length === 1 ? '' : 's'}\n`);
      }
      done(ioProblem ? EXIT_USAGE : hasErrors(all) ? EXIT_INPUT : EXIT_OK);
    });
}
