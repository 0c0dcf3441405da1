import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../helpers/shared';

export const ROOT = join(import.meta.dirname, '..', '..');
export const EXAMPLES = join(ROOT, 'examples');
export const BAD = join(ROOT, 'test', 'fixtures', 'bad');
export const QEMU_REF = `${SHARED}/reference/qemu-10.0`;

export const read = (p: string) => readFileSync(p, 'utf8');

/** Deep copy without `span` keys (spans differ between the DSL and YAML spellings). */
export function stripSpans<T>(v: T): T {
  if (Array.isArray(v)) return v.map(stripSpans) as T;
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'span') o[k] = stripSpans(x);
    return o as T;
  }
  return v;
}

export interface DslMapping {
  inputBase: number;
  count: number;
  outputBase: number;
  /** node type at the output reference: 0 ITS group, 4 SMMUv3 */
  targetType: number;
}
export interface DslNode {
  offset: number;
  type: number;
  fields: Map<string, string>;
  mappings: DslMapping[];
}

/** Reads an iasl disassembly (IORT.dsl): nodes with their fields and ID mappings. */
export function parseIortDsl(text: string): DslNode[] {
  const nodes: DslNode[] = [];
  let cur: DslNode | null = null;
  let map: Partial<DslMapping> & { ref?: number } = {};
  const pending: (Partial<DslMapping> & { ref?: number; node: DslNode })[] = [];
  for (const line of text.split('\n')) {
    const m = /^\[([0-9A-F]+)h \d+\s+\d+\]\s+(.+?)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const off = parseInt(m[1]!, 16);
    const name = m[2]!;
    const val = m[3]!.trim();
    if (name === 'Type' && off >= 0x30) {
      cur = { offset: off, type: parseInt(val, 16), fields: new Map(), mappings: [] };
      nodes.push(cur);
      continue;
    }
    if (!cur) continue;
    if (name === 'Input base') map = { inputBase: parseInt(val, 16) };
    else if (name === 'ID Count') map.count = parseInt(val, 16) + 1;
    else if (name === 'Output Base') map.outputBase = parseInt(val, 16);
    else if (name === 'Output Reference') {
      map.ref = parseInt(val, 16);
      pending.push({ ...map, node: cur });
    } else if (!cur.fields.has(name)) cur.fields.set(name, val);
  }
  for (const p of pending) {
    const target = nodes.find((n) => n.offset === p.ref);
    p.node.mappings.push({ inputBase: p.inputBase!, count: p.count!, outputBase: p.outputBase!, targetType: target?.type ?? -1 });
  }
  return nodes;
}
