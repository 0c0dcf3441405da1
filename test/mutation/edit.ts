/**
 * Byte-level editing of emitted tables for mutation testing. IORT edits patch fields at the
 * offsets the decoder reports and then fix the checksum, so that every mutant is a
 * well-formed table that says something different (a semantic mutant, not a corrupt one).
 * DT edits go through the decoded tree and the DTB writer.
 */
import { decodeDtb } from '../../src/backends/fdt/decode';
import { writeDtb } from '../../src/backends/fdt/blob';
import { cloneTree, type FdtNode, type FdtTree, getProp, mkProp, setProp, val, cellsOf, walk, isCompatible, hostBridges, regOf, parentMap } from '../../src/backends/fdt/model';
import { decodeIort } from '../../src/backends/iort/decode';
import { checksumOf, emitIort } from '../../src/backends/iort/emit';
import type { IortNode, IortTable } from '../../src/backends/iort/model';

export function fixChecksum(b: Uint8Array): Uint8Array {
  b[9] = checksumOf(b);
  return b;
}

export function decodeOk(bytes: Uint8Array): IortTable {
  const r = decodeIort(bytes, 'mutant');
  if (!r.value || r.diagnostics.some((d) => d.severity === 'error')) throw new Error(`IORT does not decode: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.value;
}

/** Copy of `bytes` with u32 fields replaced (offset -> value), checksum fixed. */
export function patch32(bytes: Uint8Array, edits: [number, number][]): Uint8Array {
  const b = bytes.slice();
  const dv = new DataView(b.buffer);
  for (const [o, v] of edits) dv.setUint32(o, v >>> 0, true);
  return fixChecksum(b);
}

export function patch64(bytes: Uint8Array, edits: [number, bigint][]): Uint8Array {
  const b = bytes.slice();
  const dv = new DataView(b.buffer);
  for (const [o, v] of edits) dv.setBigUint64(o, BigInt.asUintN(64, v), true);
  return fixChecksum(b);
}

export const read32 = (b: Uint8Array, o: number): number => new DataView(b.buffer, b.byteOffset).getUint32(o, true);

/** ID mapping field offsets inside the 20-byte entry. */
export const MAP = { inputBase: 0, idCount: 4, outputBase: 8, outputRef: 12, flags: 16 } as const;

/** The table without node `index`: later nodes move up, references follow them. */
export function withoutNode(t: IortTable, index: number): Uint8Array {
  const gone = t.nodes[index]!;
  const len = gone.length;
  const shift = (o: number) => (o > gone.offset ? o - len : o);
  const nodes: IortNode[] = t.nodes
    .filter((n) => n.index !== index)
    .map((n, i) => {
      const m = structuredClone(n);
      m.index = i;
      const delta = m.offset > gone.offset ? len : 0;
      m.offset -= delta;
      m.mappings = m.mappings.map((x) => ({ ...x, offset: x.offset - delta, outputRef: shift(x.outputRef), target: null }));
      if (m.kind === 'rmr') m.descriptors = m.descriptors.map((d) => ({ ...d, offset: d.offset - delta }));
      if (m.kind === 'pmcg') m.nodeReference = shift(m.nodeReference);
      return m;
    });
  return emitIort({ header: { ...t.header, length: t.header.length - len, nodeCount: t.header.nodeCount - 1 }, nodes });
}

// ---------------------------------------------------------------- DT

export function decodeTree(bytes: Uint8Array): FdtTree {
  const r = decodeDtb(bytes, 'mutant.dtb');
  if (!r.value) throw new Error('DTB does not decode');
  return cloneTree(r.value);
}

/** Applies `edit` to a copy of the tree and writes it back. */
export function editDtb(bytes: Uint8Array, edit: (root: FdtNode) => void): Uint8Array {
  const t = decodeTree(bytes);
  edit(t.root);
  return writeDtb(t);
}

export function nodeAt(root: FdtNode, path: string): FdtNode {
  let found: FdtNode | null = null;
  walk(root, (n) => {
    if (n.path === path) found = n;
  });
  if (!found) throw new Error(`no node ${path}`);
  return found;
}

export function cells(n: FdtNode, name: string): number[] {
  const p = getProp(n, name);
  return p ? (cellsOf(p.value) ?? []) : [];
}

export function setCells(n: FdtNode, name: string, cs: number[]): void {
  setProp(n, mkProp(name, val.u32(...cs)));
}

export function bridges(root: FdtNode): FdtNode[] {
  return hostBridges(root).map((h) => h.node);
}

export function byCompat(root: FdtNode, c: string): FdtNode[] {
  const out: FdtNode[] = [];
  walk(root, (n) => {
    if (isCompatible(n, c)) out.push(n);
  });
  return out;
}

export function regBase(root: FdtNode, n: FdtNode): bigint | null {
  const p = parentMap(root).get(n);
  const r = p ? regOf(n, p) : null;
  return r && r.length ? r[0]!.address : null;
}
