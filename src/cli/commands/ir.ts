/** `iotopo ir FILE`: print the lowered IR as JSON (addresses as "0x..." strings). */
import type { Command } from 'commander';
import { hasErrors } from '../../diag/diagnostic';
import { renderJson, renderText, summaryLine } from '../../diag/render';
import { toJson } from '../../util/json';
import { EXIT_INPUT, EXIT_OK, type Format, type Io, UsageError } from '../io';
import { formatOption } from '../run';
import { loadFile } from './check';

function withoutSpans(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSpans);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'span') o[k] = withoutSpans(x);
    return o;
  }
  return v;
}

export function register(program: Command, io: Io, done: (code: number) => void): void {
  program
    .command('ir')
    .description('print the lowered intermediate representation (IR) of a topology as JSON')
    .argument('<file>', 'topology file (.iotopo, .yaml, .yml)')
    .addOption(formatOption())
    .option('--lang <lang>', 'force the input language: dsl or yaml')
    .option('--spans', 'include source spans (file, line, col) in the IR', false)
    .addHelpText(
      'after',
      `
Examples:
  $ iotopo ir examples/qemu-b-smmuv3-2pxb.iotopo > b.json
  $ iotopo ir examples/seed-nested.yaml --spans

The IR goes to stdout; diagnostics go to stderr (--format json: as JSON).
Exit status: 0 no errors, 1 the file has errors, 2 usage or I/O problem.`,
    )
    .action((file: string, opts: { format: Format; lang?: string; spans: boolean }) => {
      if (opts.lang !== undefined && opts.lang !== 'dsl' && opts.lang !== 'yaml')
        throw new UsageError(`--lang must be dsl or yaml, not '${opts.lang}'`, 'IOT7001');
      const { result, text } = loadFile(file, opts.lang);
      const ds = result.diagnostics;
      if (ds.length) {
        if (opts.format === 'json') io.err(renderJson(ds));
        else io.err(renderText(ds, (f) => (f === file ? text : undefined)) + `${file}: ${summaryLine(ds)}\n`);
      }
      if (!result.value || hasErrors(ds)) return done(EXIT_INPUT);
      io.out(toJson(opts.spans ? result.value : withoutSpans(result.value)));
      done(EXIT_OK);
    });
}
