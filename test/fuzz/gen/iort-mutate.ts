/**
 * Structure-aware mutation of IORT tables. `iortFields` walks a seed the way firmware readers
 * do (header, node list by each node's length, ID arrays at their stored offsets, the
 * per-type arrays) and lists every length, count, offset and reference field with its byte
 * offset; a mutation then sets such a field to a hostile value (0, 1, all ones, the table
 * length and its neighbours, the offset of the header, of another node, of the field itself),
 * flips bits, truncates or grows the table, duplicates a node, and optionally repairs the
 * checksum so that the decoder reads on past the first warning.
 */
import fc from 'fast-check';

export interface Field {
  off: number;
  size: 1 | 2 | 4 | 8;
  what: string;
  /** References hold a table offset: good targets are node starts and the field itself. */
  ref?: boolean;
}

export interface IortShape {
  fields: Field[];
  nodes: { off: number; len: number; type: number }[];
}

const le = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export function iortFields(b: Uint8Array): IortShape {
  const fields: Field[] = [];
  const nodes: IortShape['nodes'] = [];
  if (b.length < 48) return { fields, nodes };
  const v = le(b);
  fields.push(
    { off: 4, size: 4, what: 'length' },
    { off: 8, size: 1, what: 'revision' },
    { off: 9, size: 1, what: 'checksum' },
    { off: 36, size: 4, what: 'node count' },
    { off: 40, size: 4, what: 'node offset', ref: true },
  );
  const len = Math.min(v.getUint32(4, true), b.length);
  const count = v.getUint32(36, true);
  let off = v.getUint32(40, true);
  for (let i = 0; i < count && i < 4096 && off >= 48 && off + 16 <= len; i++) {
    const type = b[off]!;
    const nlen = v.getUint16(off + 1, true);
    if (nlen < 16 || off + nlen > len) break;
    nodes.push({ off, len: nlen, type });
    fields.push(
      { off, size: 1, what: 'type' },
      { off: off + 1, size: 2, what: 'node length' },
      { off: off + 3, size: 1, what: 'node revision' },
      { off: off + 4, size: 4, what: 'identifier' },
      { off: off + 8, size: 4, what: 'mapping count' },
      { off: off + 12, size: 4, what: 'mapping offset' },
    );
    const mc = v.getUint32(off + 8, true);
    const mo = v.getUint32(off + 12, true);
    for (let k = 0; k < mc && k < 256 && mo >= 16 && mo + (k + 1) * 20 <= nlen; k++) {
      const m = off + mo + k * 20;
      fields.push(
        { off: m, size: 4, what: 'input base' },
        { off: m + 4, size: 4, what: 'id count' },
        { off: m + 8, size: 4, what: 'output base' },
        { off: m + 12, size: 4, what: 'output reference', ref: true },
        { off: m + 16, size: 4, what: 'mapping flags' },
      );
    }
    const typed: Record<number, [number, 1 | 2 | 4 | 8, string, boolean?][]> = {
      0: [[16, 4, 'ITS count']],
      1: [[16, 4, 'NC flags'], [28, 1, 'memory address limit']],
      2: [[24, 4, 'ATS attribute'], [28, 4, 'PCI segment'], [32, 1, 'memory address limit']],
      3: [[40, 4, 'global irq offset'], [44, 4, 'context irq count'], [48, 4, 'context irq offset'], [52, 4, 'PMU irq count'], [56, 4, 'PMU irq offset']],
      4: [[16, 8, 'SMMU base'], [24, 4, 'SMMU flags'], [44, 4, 'event GSIV'], [56, 4, 'sync GSIV'], [60, 4, 'proximity domain'], [64, 4, 'DeviceID mapping index']],
      5: [[28, 4, 'PMCG node reference', true]],
      6: [[16, 4, 'RMR flags'], [20, 4, 'descriptor count'], [24, 4, 'descriptor offset']],
    };
    for (const [rel, size, what, ref] of typed[type] ?? []) if (rel + size <= nlen) fields.push({ off: off + rel, size, what, ...(ref ? { ref } : {}) });
    if (type === 6 && nlen >= 28) {
      const dc = v.getUint32(off + 20, true);
      const d0 = v.getUint32(off + 24, true);
      for (let k = 0; k < dc && k < 64 && d0 >= 16 && d0 + (k + 1) * 20 <= nlen; k++)
        fields.push({ off: off + d0 + k * 20, size: 8, what: 'RMR base' }, { off: off + d0 + k * 20 + 8, size: 8, what: 'RMR length' });
    }
    off += nlen;
  }
  return { fields, nodes };
}

export interface IortMutation {
  op: number;
  field: number;
  value: number;
  raw: number;
  n: number;
  fixChecksum: boolean;
}

function write(b: Uint8Array, f: Field, x: bigint): void {
  if (f.off + f.size > b.length) return;
  const v = le(b);
  const m = BigInt.asUintN(f.size * 8, x);
  if (f.size === 1) v.setUint8(f.off, Number(m));
  else if (f.size === 2) v.setUint16(f.off, Number(m), true);
  else if (f.size === 4) v.setUint32(f.off, Number(m), true);
  else v.setBigUint64(f.off, m, true);
}

export function fixChecksum(b: Uint8Array): void {
  if (b.length < 10) return;
  let sum = 0;
  for (let i = 0; i < b.length; i++) if (i !== 9) sum = (sum + b[i]!) & 0xff;
  b[9] = (0x100 - sum) & 0xff;
}

/** Values a hostile or broken writer puts in a length, count, offset or reference field. */
function hostileValue(b: Uint8Array, shape: IortShape, f: Field, pick: number, raw: number): bigint {
  const len = b.length;
  const nodeOffs = shape.nodes.map((n) => n.off);
  const all: bigint[] = [
    0n,
    1n,
    2n,
    0xffn,
    0xffffn,
    0xffff_ffffn,
    0x8000_0000n,
    0x7fff_ffffn,
    BigInt(len),
    BigInt(len - 1),
    BigInt(len + 1),
    BigInt(len + 20),
    16n,
    20n,
    36n,
    40n,
    47n,
    48n,
    BigInt(f.off),
    BigInt(f.off - 12),
    BigInt(nodeOffs[raw % Math.max(1, nodeOffs.length)] ?? 48),
    BigInt(nodeOffs[(raw >> 8) % Math.max(1, nodeOffs.length)] ?? 48) + 1n,
    BigInt(raw >>> 0),
    (1n << 64n) - 1n,
  ];
  return all[pick % all.length]!;
}

export function applyIortMutation(seed: Uint8Array, shape: IortShape, m: IortMutation): Uint8Array {
  let b = seed.slice();
  const f = shape.fields.length ? shape.fields[m.field % shape.fields.length] : undefined;
  switch (m.op % 8) {
    case 0:
    case 1:
    case 2: // the field-targeted mutation gets most of the draws
      if (f) write(b, f, hostileValue(b, shape, f, m.value, m.raw));
      break;
    case 3: // self-reference: a reference to the node holding it (a loop of length one)
      if (f?.ref) {
        const owner = shape.nodes.filter((n) => n.off <= f.off).at(-1);
        write(b, f, BigInt(owner?.off ?? f.off));
      } else if (f) write(b, f, BigInt(m.raw >>> 0));
      break;
    case 4: {
      const at = m.raw % Math.max(1, b.length);
      if (b.length) b[at]! ^= 1 << (m.n & 7);
      break;
    }
    case 5: // truncate, keeping or fixing the length field
      b = b.slice(0, m.raw % (b.length + 1));
      if (m.n & 1 && b.length >= 8) le(b).setUint32(4, b.length, true);
      break;
    case 6: {
      // grow: trailing garbage, optionally claimed by the length field
      const extra = new Uint8Array(1 + (m.raw % 300)).map((_, i) => (m.n * (i + 7)) & 0xff);
      const g = new Uint8Array(b.length + extra.length);
      g.set(b);
      g.set(extra, b.length);
      b = g;
      if (m.n & 1 && b.length >= 8) le(b).setUint32(4, b.length, true);
      break;
    }
    default: {
      // duplicate a node at the end and count it: two nodes at different offsets, same content
      const node = shape.nodes[m.raw % Math.max(1, shape.nodes.length)];
      if (!node || b.length < 48) break;
      const copies = 1 + (m.n % 3);
      const g = new Uint8Array(b.length + node.len * copies);
      g.set(b);
      for (let k = 0; k < copies; k++) g.set(b.subarray(node.off, node.off + node.len), b.length + k * node.len);
      b = g;
      const v = le(b);
      v.setUint32(4, b.length, true);
      v.setUint32(36, v.getUint32(36, true) + copies, true);
    }
  }
  if (m.fixChecksum) fixChecksum(b);
  return b;
}

export const iortMutationArb: fc.Arbitrary<IortMutation> = fc.record({
  op: fc.nat(7),
  field: fc.nat(),
  value: fc.nat(),
  raw: fc.nat(),
  n: fc.nat(),
  fixChecksum: fc.boolean(),
});
