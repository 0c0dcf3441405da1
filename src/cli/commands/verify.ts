/**
 * `iotopo verify`: the replay proof of an IORT (and a DTB) from anywhere. With a config the
 * tables are judged against it; without one they are checked against each other (IORT vs DT,
 * structure, replay with one synthetic device per bus). Exit 0 proven, 1 disproven (or the
 * config has errors), 2 usage or I/O.
 */
import { Option, type Command } from 'commander';
import { hasErrors } from '../../diag/diagnostic';
import { renderJson, renderText } from '../../diag/render';
import { toJson } from '../../util/json';
import { DEFAULT_MAX_COUNTEREXAMPLES, proveTables, renderProofText } from '../../verify/index';
import { EXIT_INPUT, EXIT_OK, type Format, type Io, UsageError } from '../io';
import { formatOption } from '../run';
import { loadFile } from './check';
import { readInput, sniff } from './decode';

interface Opts {
  iort?: string;
  dtb?: string;
  format: Format;
  max: string;
  lang?: string;
}

export function register(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('verify')
    .description('prove an IORT (and DTB) by replaying every RID through the table interpreters and a reference SMMUv3')
    .argument('[config]', 'topology the tables were built from (.iotopo or .yaml); omit to check the tables alone')
    .option('--iort <file>', 'IORT table (e.g. out/iort.bin or /sys/firmware/acpi/tables/IORT)')
    .option('--dtb <file>', 'flattened device tree blob to compare with the IORT RID by RID')
    .addOption(new Option('--max <n>', 'counterexamples to show').default(String(DEFAULT_MAX_COUNTEREXAMPLES)))
    .option('--lang <lang>', 'force the config language: dsl or yaml')
    .addOption(formatOption())
    .addHelpText(
      'after',
      `
For every RID of every PCI segment the IORT (Linux iort_node_map_id) and the DT (Linux
of_map_id) are resolved and compared (SMMU, StreamID, ITS, DeviceID), and with a config also
against what it intends. Every SMMUv3 is then set up as Linux would (stream table, RMR bypass
STEs, one domain per device) and DMA and MSIs are replayed through the reference interpreter.
A disagreement is reported as a counterexample: the RID, the table entries it went through
(IORT byte offsets, DT paths) and the STE/CD/descriptor that decided.

Examples:
  $ iotopo verify examples/seed-nested.iotopo --iort out/iort.bin --dtb out/machine.dtb
  $ iotopo verify --iort out/iort.bin --dtb out/machine.dtb      tables alone: IORT vs DT, replay
  $ iotopo verify --iort /sys/firmware/acpi/tables/IORT --format json

Exit status: 0 proven, 1 disproven (counterexample) or the config has errors, 2 usage or I/O problem.`,
    )
    .action((config: string | undefined, opts: Opts) => {
      if (!opts.iort) throw new UsageError('--iort <file> is required: the proof rests on the emitted IORT', 'IOT7001');
      if (opts.lang !== undefined && opts.lang !== 'dsl' && opts.lang !== 'yaml') throw new UsageError(`--lang must be dsl or yaml, not '${opts.lang}'`, 'IOT7001');
      const max = Number(opts.max);
      if (!Number.isInteger(max) || max < 1) throw new UsageError(`--max must be a positive integer, not '${opts.max}'`, 'IOT7001');
      const iort = readInput(opts.iort);
      if (sniff(iort) !== 'iort') throw new UsageError(`'${opts.iort}' is not an IORT table (no "IORT" signature)`, 'IOT7003');
      const dtb = opts.dtb ? readInput(opts.dtb) : null;
      if (dtb && opts.dtb && sniff(dtb) !== 'dtb') throw new UsageError(`'${opts.dtb}' is not a DTB (no FDT magic 0xd00dfeed)`, 'IOT7003');
      let ir = null;
      if (config !== undefined) {
        const { result, text } = loadFile(config, opts.lang);
        if (!result.value || hasErrors(result.diagnostics)) {
          if (opts.format === 'json') io.out(renderJson(result.diagnostics));
          else io.out(renderText(result.diagnostics, (f) => (f === config ? text : undefined)) + `${config}: the config has errors; nothing to verify against\n`);
          return done(EXIT_INPUT);
        }
        ir = result.value;
      }
      const report = proveTables({ iort, dtb, ir, files: { iort: opts.iort, ...(opts.dtb ? { dtb: opts.dtb } : {}) }, maxCounterexamples: max });
      if (opts.format === 'json') io.out(toJson({ iort: opts.iort, dtb: opts.dtb ?? null, config: config ?? null, ...report }));
      else io.out(renderProofText(report));
      done(report.proven ? EXIT_OK : EXIT_INPUT);
    });
}
