/** `iotopo check FILE`: parse and lower a topology, report every diagnostic. */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { hasErrors, type Result } from '../../diag/diagnostic';
import { renderJson, renderText, summaryLine } from '../../diag/render';
import { loadConfigBytes } from '../../ir/index';
import type { IrMachine } from '../../ir/types';
import { MAX_INPUT_BYTES } from '../../parser/index';
import { tooLarge } from '../../parser/read';
import { EXIT_INPUT, EXIT_OK, type Format, type Io, UsageError } from '../io';
import { formatOption } from '../run';
import { runConfigChecks } from '../../check/index';
import { addCheckToggles, levelsOrUsageError, TOGGLE_HELP } from '../../check/cli-options';
import { sortDiagnostics } from '../../diag/diagnostic';

/** Reads and lowers a config file. I/O problems are usage errors (exit 2). */
export function loadFile(path: string, lang?: string): { result: Result<IrMachine>; text: string | undefined } {
  let bytes: Uint8Array;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`'${path}' is a directory`, 'IOT7001');
    // Refuse before reading: the limit exists so that a wrong path does not load gigabytes.
    if (st.isFile() && st.size > MAX_INPUT_BYTES) return { result: tooLarge(path, st.size), text: undefined };
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `cannot read '${path}': no such file` : `cannot read '${path}': ${code ?? String(e)}`, 'IOT7001');
  }
  const which = lang === 'dsl' || lang === 'yaml' ? lang : undefined;
  const result = loadConfigBytes(bytes, path, which);
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  } catch {
    text = undefined;
  }
  return { result, text };
}

export function register(program: Command, io: Io, done: (code: number) => void): void {
  const cmd = program
    .command('check')
    .description('parse and lower a topology (.iotopo DSL or .yaml), report errors with source locations')
    .argument('<file>', 'topology file (.iotopo, .yaml, .yml; other names are sniffed)')
    .addOption(formatOption())
    .option('--lang <lang>', 'force the input language: dsl or yaml')
    .addHelpText(
      'after',
      `
Examples:
  $ iotopo check examples/seed-nested.iotopo
  $ iotopo check examples/seed-nested.yaml --format json

Exit status: 0 no errors, 1 the file has errors, 2 usage or I/O problem.
${TOGGLE_HELP}`,
    );
  const toggles = addCheckToggles(cmd);
  cmd.action((file: string, opts: { format: Format; lang?: string }) => {
      if (opts.lang !== undefined && opts.lang !== 'dsl' && opts.lang !== 'yaml')
        throw new UsageError(`--lang must be dsl or yaml, not '${opts.lang}'`, 'IOT7001');
      const checkOptions = { toggles: toggles() };
      levelsOrUsageError(checkOptions);
      const { result, text } = loadFile(file, opts.lang);
      // The named checks run only on a machine that lowered cleanly: their rules assume
      // resolved references.
      const ds = result.value && !hasErrors(result.diagnostics)
        ? sortDiagnostics([...result.diagnostics, ...runConfigChecks(result.value, checkOptions)])
        : result.diagnostics;
      if (opts.format === 'json') io.out(renderJson(ds));
      else {
        io.out(renderText(ds, (f) => (f === file ? text : undefined)));
        if (result.value && !hasErrors(ds)) {
          const m = result.value;
          const n = (k: number, what: string) => `${k} ${what}${k === 1 ? '' : 's'}`;
          io.out(
            `${file}: ok: machine ${m.name} (${m.profile}): ${n(m.smmus.length, 'SMMU')}, ${n(m.bridges.length, 'host bridge')}, ${n(m.rootPorts.length, 'root port')}, ${n(m.devices.length, 'device')}, ${n(m.rmrs.length, 'RMR')}${ds.length ? `; ${summaryLine(ds)}` : ''}\n`,
          );
        } else io.out(`${file}: ${summaryLine(ds)}\n`);
      }
      done(hasErrors(ds) || !result.value ? EXIT_INPUT : EXIT_OK);
    });
}
