/**
 * The source model shared by the DSL and YAML front ends. Both readers produce this tree;
 * lowering (src/ir/lower.ts) validates it against the model spec (src/ir/spec.ts) and
 * resolves it to the IR. The tree is deliberately generic (blocks of properties) so that
 * one validator serves both languages and every value keeps its own span.
 */
import type { Span } from '../diag/span';

export type SourceLang = 'dsl' | 'yaml';

export type Value =
  /** Integer; `suffix` is the size suffix as written (K, M, G, T, KiB, ...), value already scaled. */
  | { kind: 'int'; value: bigint; suffix: string | null; text: string; span: Span }
  | { kind: 'string'; value: string; span: Span }
  /** Bare word: a reference by id or an enumerated keyword. */
  | { kind: 'ident'; value: string; span: Span }
  | { kind: 'bool'; value: boolean; span: Span }
  /** Inclusive integer range `lo..hi`. */
  | { kind: 'range'; lo: bigint; hi: bigint; span: Span }
  | { kind: 'list'; items: Value[]; span: Span }
  /** YAML only: an empty value (`key:`). */
  | { kind: 'null'; span: Span };

export interface Property {
  name: string;
  nameSpan: Span;
  values: Value[];
  /** Whole property (name and values). */
  span: Span;
}

export interface Block {
  kind: string;
  kindSpan: Span;
  id: string | null;
  idSpan: Span | null;
  /** Second header word, e.g. `vfio` in `device gpu0 vfio { ... }`. */
  subkind: string | null;
  subkindSpan: Span | null;
  props: Property[];
  blocks: Block[];
  span: Span;
}

export interface SourceFile {
  file: string;
  lang: SourceLang;
  /** The `machine` block, or null when the file has none (an error was reported). */
  machine: Block | null;
}

export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'int':
      return `integer ${v.text}`;
    case 'string':
      return `string ${JSON.stringify(v.value)}`;
    case 'ident':
      return `'${v.value}'`;
    case 'bool':
      return `boolean ${v.value}`;
    case 'range':
      return 'a range';
    case 'list':
      return 'a list';
    case 'null':
      return 'an empty value';
  }
}
