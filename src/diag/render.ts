/**
 * Renderers: a human format with a source frame (rustc/TypeScript style) and JSON.
 * SARIF lives with the checks (src/check/sarif.ts) because code scanning is a lint concern.
 */
import type { Diagnostic } from './diagnostic';
import { LineIndex } from './span';

export interface SourceProvider {
  (file: string): string | undefined;
}

function where(d: Diagnostic): string {
  if (d.span) return `${d.span.file}:${d.span.line}:${d.span.col}`;
  if (d.loc) {
    const parts = [d.loc.file];
    if (d.loc.byteOffset !== undefined) parts.push(`0x${d.loc.byteOffset.toString(16)}`);
    if (d.loc.path) parts.push(d.loc.path);
    return parts.join(':');
  }
  return '<input>';
}

function frame(d: Diagnostic, sources: SourceProvider, cache: Map<string, LineIndex>): string[] {
  const s = d.span;
  if (!s) return [];
  let idx = cache.get(s.file);
  if (!idx) {
    const text = sources(s.file);
    if (text === undefined) return [];
    idx = new LineIndex(text);
    cache.set(s.file, idx);
  }
  if (s.line < 1 || s.line > idx.lineCount) return [];
  const text = idx.lineText(s.line);
  // Long or binary lines would flood a terminal: show a window around the column.
  const start = Math.max(0, s.col - 1 - 60);
  const shown = text.slice(start, start + 120).replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?');
  const gutter = String(s.line).length;
  const caretCol = s.col - 1 - start;
  const width = s.endLine === s.line ? Math.max(1, Math.min(s.endCol - s.col, shown.length - caretCol)) : 1;
  return [
    `${' '.repeat(gutter)} |`,
    `${s.line} | ${shown}`,
    `${' '.repeat(gutter)} | ${' '.repeat(Math.max(0, caretCol))}${'^'.repeat(Math.max(1, width))}`,
  ];
}

export function renderText(ds: readonly Diagnostic[], sources: SourceProvider = () => undefined): string {
  const cache = new Map<string, LineIndex>();
  const out: string[] = [];
  for (const d of ds) {
    const name = d.check ? ` (${d.check})` : '';
    out.push(`${where(d)}: ${d.severity} ${d.code}${name}: ${d.message}`);
    out.push(...frame(d, sources, cache).map((l) => `  ${l}`));
    for (const r of d.related ?? []) {
      const w = r.span ? `${r.span.file}:${r.span.line}:${r.span.col}` : r.loc ? where({ ...d, span: undefined, loc: r.loc }) : '';
      out.push(`  note: ${w ? w + ': ' : ''}${r.message}`);
    }
    if (d.help) out.push(`  help: ${d.help}`);
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

export function summaryLine(ds: readonly Diagnostic[]): string {
  const e = ds.filter((d) => d.severity === 'error').length;
  const w = ds.filter((d) => d.severity === 'warning').length;
  return `${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'}`;
}

export function renderJson(ds: readonly Diagnostic[]): string {
  return JSON.stringify({ diagnostics: ds }, null, 2) + '\n';
}
