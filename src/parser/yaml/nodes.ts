/** Helpers shared by the YAML reader and its schema check: spans and key text of YAML nodes. */
import { type Document, isScalar, type LineCounter, type Node } from 'yaml';
import type { Span } from '../../diag/span';

export interface YamlCtx {
  file: string;
  lc: LineCounter;
  doc: Document.Parsed;
  textLength: number;
}

export function spanAt(ctx: { file: string; lc: LineCounter; textLength: number }, start: number, end: number): Span {
  const s = Math.max(0, Math.min(start, ctx.textLength));
  const e = Math.max(s, Math.min(end, ctx.textLength));
  const pos = (o: number) => {
    const p = ctx.lc.linePos(o);
    return p.line === 0 ? { line: 1, col: o + 1 } : p;
  };
  const a = pos(s);
  const b = pos(e);
  return { file: ctx.file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset: s, length: e - s };
}

export function nodeSpan(ctx: YamlCtx, node: Node | null | undefined): Span {
  const r = node?.range;
  return r ? spanAt(ctx, r[0], r[1]) : spanAt(ctx, 0, 0);
}

export const keyText = (k: unknown): string =>
  isScalar(k) ? (typeof k.value === 'string' ? k.value : (k.source ?? String(k.value))) : String(k);
