/**
 * `iotopo decode` for IORT tables: text = iasl-like dump + diagnostics on stderr; json = the
 * decoded model and the diagnostics in one document on stdout. Exit 1 when the table has errors
 * (a corrupt table is an input problem, not a usage problem).
 */
import { EXIT_INPUT, EXIT_OK, type Io } from '../../cli/io';
import { hasErrors, sortDiagnostics } from '../../diag/diagnostic';
import { renderText, summaryLine } from '../../diag/render';
import { toJson } from '../../util/json';
import { decodeIort } from './decode';
import { dumpIort } from './dump';

export function runIortDecode(bytes: Uint8Array, file: string, opts: { format: 'text' | 'json' }, io: Io): number {
  const { value, diagnostics } = decodeIort(bytes, file);
  const diags = sortDiagnostics(diagnostics);
  if (opts.format === 'json') {
    io.out(toJson({ table: value, diagnostics: diags }));
  } else {
    if (value) io.out(dumpIort(value, file));
    if (diags.length) io.err(renderText(diags) + summaryLine(diags) + '\n');
  }
  return hasErrors(diags) ? EXIT_INPUT : EXIT_OK;
}
