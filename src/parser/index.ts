/** Reader entry: picks the language and returns the source model. */
import { makeDiag, type Result } from '../diag/diagnostic';
import { defineCodes } from '../diag/diagnostic';
import type { SourceFile, SourceLang } from './ast';
import { parseDsl } from './dsl/index';
import { parseYaml } from './yaml/index';

export const INPUT = defineCodes({
  TOO_LARGE: { code: 'IOT7002', severity: 'error', title: 'input larger than the size limit' },
  BINARY: { code: 'IOT7003', severity: 'error', title: 'input is binary, not text' },
  BAD_UTF8: { code: 'IOT7004', severity: 'error', title: 'input is not valid UTF-8' },
  INTERNAL: { code: 'IOT7005', severity: 'error', title: 'reader failed on this input' },
  TRUNCATED: { code: 'IOT7006', severity: 'note', title: 'more diagnostics not shown' },
  TOO_MANY_BLOCKS: { code: 'IOT7007', severity: 'error', title: 'more blocks than the limit' },
});

/**
 * Inputs above this are refused: real topologies are a few KiB (the large example is 4 KiB),
 * and parsing is not free: the DSL parser reads about 1 MB every 1.5 s, so 4 MiB took 14 s.
 */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** Language from the file name; otherwise sniffed (YAML has `machine:` at line start). */
export function detectLang(file: string, text: string): SourceLang {
  const lower = file.toLowerCase();
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  if (lower.endsWith('.iotopo')) return 'dsl';
  return /^(?:---\s*$|machine\s*:)/m.test(text) && !/^\s*machine\s+[^:\s]+\s*\{/m.test(text) ? 'yaml' : 'dsl';
}

export function parseSource(text: string, file: string, lang: SourceLang = detectLang(file, text)): Result<SourceFile> {
  if (text.length > MAX_INPUT_BYTES)
    return {
      value: null,
      diagnostics: [
        makeDiag(INPUT.TOO_LARGE, `input is ${text.length} characters; the limit is ${MAX_INPUT_BYTES} (1 MiB)`, {
          span: { file, line: 1, col: 1, endLine: 1, endCol: 1, offset: 0, length: 0 },
        }),
      ],
    };
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    const col = nul - text.lastIndexOf('\n', nul - 1);
    return {
      value: null,
      diagnostics: [
        makeDiag(INPUT.BINARY, 'input contains NUL bytes: this is a binary file, not a topology description', {
          span: { file, line, col, endLine: line, endCol: col + 1, offset: nul, length: 1 },
        }),
      ],
    };
  }
  return lang === 'yaml' ? parseYaml(text, file) : parseDsl(text, file);
}
