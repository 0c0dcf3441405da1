/**
 * A location in a source file. Lines and columns are 1-based (as editors show them);
 * offsets are 0-based UTF-16 indices into the source text. For binary inputs (IORT/DTB)
 * `byteOffset` / `path` say where instead, and line/col are 0.
 */
export interface Span {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  offset: number;
  length: number;
}

/** Location inside a binary table: a byte offset (IORT) or a node path (DTB). */
export interface BinLocation {
  file: string;
  byteOffset?: number;
  length?: number;
  /** DT node path, e.g. "/pcie@10000000", optionally with ":prop" */
  path?: string;
}

/** Maps offsets to 1-based line/column, built once per source. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; col: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: o - this.starts[lo]! + 1 };
  }
  lineText(line: number): string {
    const s = this.starts[line - 1];
    if (s === undefined) return '';
    const e = line < this.starts.length ? this.starts[line]! - 1 : this.text.length;
    return this.text.slice(s, e).replace(/\r$/, '');
  }
  get lineCount(): number {
    return this.starts.length;
  }
  span(file: string, offset: number, length: number): Span {
    const a = this.position(offset);
    const b = this.position(offset + Math.max(0, length));
    return { file, line: a.line, col: a.col, endLine: b.line, endCol: b.col, offset, length };
  }
}
