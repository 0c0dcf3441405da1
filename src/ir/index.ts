/**
 * Public front-end API for the other modules:
 *   loadConfig(text, file) -> { value: IrMachine | null, diagnostics }
 * The language follows the file name (.iotopo DSL, .yaml/.yml YAML; sniffed otherwise).
 * `value` is null whenever there is an error; warnings may come with a value.
 */
import { type Diagnostic, makeDiag, type Result, sortDiagnostics } from '../diag/diagnostic';
import type { SourceLang } from '../parser/ast';
import { INPUT, parseSource } from '../parser/index';
import { decodeSource } from '../parser/read';
import { lower } from './lower';
import type { IrMachine } from './types';

/** A file with more problems than this is the wrong file, or one early mistake echoing. */
export const MAX_DIAGNOSTICS = 100;
/**
 * Blocks in one machine. The large example has 60; lowering, the checks and both encoders take
 * time in proportion to the blocks (about 0.1 ms each), so the limit bounds a build.
 */
export const MAX_BLOCKS = 16384;

function capped(ds: Diagnostic[]): Diagnostic[] {
  const sorted = sortDiagnostics(ds);
  if (sorted.length <= MAX_DIAGNOSTICS) return sorted;
  const shown = sorted.slice(0, MAX_DIAGNOSTICS);
  const last = shown[shown.length - 1]!;
  shown.push(makeDiag(INPUT.TRUNCATED, `${sorted.length - MAX_DIAGNOSTICS} more diagnostics not shown`, last.span ? { span: last.span } : {}));
  return shown;
}

export function loadConfig(text: string, file: string, lang?: SourceLang): Result<IrMachine> {
  const r = loadUncapped(text, file, lang);
  return { value: r.value, diagnostics: capped(r.diagnostics) };
}

function loadUncapped(text: string, file: string, lang?: SourceLang): Result<IrMachine> {
  try {
    const parsed = parseSource(text, file, lang);
    if (!parsed.value?.machine || parsed.diagnostics.some((d) => d.severity === 'error'))
      return { value: null, diagnostics: sortDiagnostics(parsed.diagnostics) };
    const blocks = parsed.value.machine.blocks;
    if (blocks.length > MAX_BLOCKS)
      return {
        value: null,
        diagnostics: [
          makeDiag(INPUT.TOO_MANY_BLOCKS, `the machine has ${blocks.length} blocks; the limit is ${MAX_BLOCKS}`, { span: blocks[MAX_BLOCKS]!.kindSpan }, {
            help: 'a machine has tens of blocks; is this the right file?',
          }),
        ],
      };
    const lowered = lower(parsed.value);
    return { value: lowered.value, diagnostics: sortDiagnostics([...parsed.diagnostics, ...lowered.diagnostics]) };
  } catch (e) {
    // Stack exhaustion on pathological nesting and similar: a diagnostic, never a crash.
    const msg = e instanceof RangeError ? 'input is too deeply nested or too large to read' : `reader failed: ${e instanceof Error ? e.message : String(e)}`;
    return {
      value: null,
      diagnostics: [makeDiag(INPUT.INTERNAL, msg, { span: { file, line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, length: 0 } })],
    };
  }
}

/** As loadConfig, from raw file bytes (size limit, binary and UTF-8 checks first). */
export function loadConfigBytes(bytes: Uint8Array, file: string, lang?: SourceLang): Result<IrMachine> {
  const text = decodeSource(bytes, file);
  if (text.value === null) return { value: null, diagnostics: text.diagnostics };
  return loadConfig(text.value, file, lang);
}

export { lower } from './lower';
export { parseSource, detectLang, MAX_INPUT_BYTES } from '../parser/index';
export type { IrMachine } from './types';
