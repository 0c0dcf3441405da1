/**
 * Mutation of flattened device trees at two levels.
 *
 * Byte level (`fdtFields` + `applyFdtByteMutation`): the header fields (totalsize, block
 * offsets and sizes, versions), every FDT_PROP's len and nameoff, every token word and node
 * name, set to hostile values (0, 1, all ones, 4 GiB - 1, the blob size and its neighbours,
 * offsets of other blocks), plus bit flips, truncation, growth and token splices (unbalanced
 * nodes, nesting far deeper than any reader allows).
 *
 * Tree level (`applyFdtTreeMutation`): decode, change the meaning and re-encode, so that a
 * structurally valid blob reaches the DT checks and the merge with hostile content: phandle
 * cycles (msi-parent / interrupt-parent / iommu-map pointing at the node itself), iommu-map
 * and msi-map entries with 4 Gi-ID lengths, #address-cells of 0 or 2^32-1, reg values of odd
 * length, huge fan-out and deep nesting.
 */
import fc from 'fast-check';
import { decodeDtb } from '../../../src/backends/fdt/decode';
import { writeDtb } from '../../../src/backends/fdt/blob';
import { cloneNode, type FdtNode, type FdtProp, mkNode, mkProp, setPaths, val } from '../../../src/backends/fdt/model';

export interface FdtShape {
  header: { off: number; what: string }[];
  props: { tok: number; len: number; nameoff: number }[];
  tokens: number[];
  names: { start: number; end: number }[];
  structStart: number;
  structEnd: number;
}

const be = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export function fdtFields(b: Uint8Array): FdtShape {
  const header = [
    { off: 4, what: 'totalsize' },
    { off: 8, what: 'off_dt_struct' },
    { off: 12, what: 'off_dt_strings' },
    { off: 16, what: 'off_mem_rsvmap' },
    { off: 20, what: 'version' },
    { off: 24, what: 'last_comp_version' },
    { off: 28, what: 'boot_cpuid_phys' },
    { off: 32, what: 'size_dt_strings' },
    { off: 36, what: 'size_dt_struct' },
  ];
  const shape: FdtShape = { header, props: [], tokens: [], names: [], structStart: 0, structEnd: 0 };
  if (b.length < 40) return shape;
  const v = be(b);
  const start = v.getUint32(8);
  const end = Math.min(b.length, start + v.getUint32(36));
  shape.structStart = start;
  shape.structEnd = end;
  let p = start;
  for (let guard = 0; p + 4 <= end && guard < 200_000; guard++) {
    const tok = v.getUint32(p);
    shape.tokens.push(p);
    p += 4;
    if (tok === 1) {
      let e = p;
      while (e < end && b[e] !== 0) e++;
      shape.names.push({ start: p, end: e });
      p = (e + 4) & ~3;
    } else if (tok === 3) {
      if (p + 8 > end) break;
      const len = v.getUint32(p);
      shape.props.push({ tok: p - 4, len: p, nameoff: p + 4 });
      p = (p + 8 + len + 3) & ~3;
    } else if (tok === 9) break;
    else if (tok !== 2 && tok !== 4) break;
  }
  return shape;
}

export interface FdtByteMutation {
  op: number;
  field: number;
  value: number;
  raw: number;
  n: number;
}

function hostile(b: Uint8Array, pick: number, raw: number): number {
  const v = b.length >= 40 ? be(b) : null;
  const all = [
    0,
    1,
    3,
    4,
    0xffff_ffff,
    0xffff_fffc,
    0x8000_0000,
    0x7fff_ffff,
    b.length,
    b.length - 1,
    b.length + 1,
    b.length + 4,
    b.length - 4,
    40,
    36,
    28,
    v ? v.getUint32(8) : 0,
    v ? v.getUint32(12) : 0,
    v ? v.getUint32(16) : 0,
    v ? v.getUint32(32) : 0,
    v ? v.getUint32(36) : 0,
    raw >>> 0,
    16,
    17,
    15,
  ];
  return all[pick % all.length]! >>> 0;
}

export function applyFdtByteMutation(seed: Uint8Array, shape: FdtShape, m: FdtByteMutation): Uint8Array {
  let b = seed.slice();
  const set32 = (off: number, x: number) => {
    if (off + 4 <= b.length) be(b).setUint32(off, x >>> 0);
  };
  switch (m.op % 9) {
    case 0:
    case 1: // header field
      set32(shape.header[m.field % shape.header.length]!.off, hostile(b, m.value, m.raw));
      break;
    case 2: {
      // property length or name offset
      const p = shape.props[m.field % Math.max(1, shape.props.length)];
      if (p) set32(m.n & 1 ? p.nameoff : p.len, hostile(b, m.value, m.raw));
      break;
    }
    case 3: {
      // a token word replaced by another token (or garbage)
      const t = shape.tokens[m.field % Math.max(1, shape.tokens.length)];
      const toks = [1, 2, 3, 4, 9, 0, 5, 0xffffffff, 0x01000000];
      if (t !== undefined) set32(t, toks[m.value % toks.length]!);
      break;
    }
    case 4: {
      // node name: no NUL (runs into the next token), or odd bytes
      const nm = shape.names[m.field % Math.max(1, shape.names.length)];
      if (nm && nm.end < b.length) {
        if (m.n & 1) b[nm.end] = 0x41;
        else if (nm.end > nm.start) b[nm.start + (m.raw % (nm.end - nm.start))] = [0x2f, 0x40, 0xff, 0x0a, 0x20][m.value % 5]!;
      }
      break;
    }
    case 5:
      if (b.length) b[m.raw % b.length]! ^= 1 << (m.n & 7);
      break;
    case 6:
      b = b.slice(0, m.raw % (b.length + 1));
      if (m.n & 1) set32(4, b.length);
      break;
    case 7: {
      // splice: repeat one token range many times (deep nesting, repeated props, unbalanced)
      const i = m.field % Math.max(1, shape.tokens.length);
      const a = shape.tokens[i];
      // The shape is the seed's; earlier mutations may have shortened the blob.
      const z = Math.min(b.length, shape.tokens[i + 1 + (m.value % 3)] ?? shape.structEnd);
      if (a === undefined || z <= a) break;
      const piece = b.subarray(a, z);
      const times = 1 + (m.n % 200);
      const g = new Uint8Array(b.length + piece.length * times);
      g.set(b.subarray(0, z));
      for (let k = 0; k < times; k++) g.set(piece, z + k * piece.length);
      g.set(b.subarray(z), z + piece.length * times);
      b = g;
      // Keep the header consistent so the reader gets as far as the structure block.
      if (m.raw & 1 && b.length >= 40) {
        const v = be(b);
        const grow = piece.length * times;
        v.setUint32(4, v.getUint32(4) + grow);
        if (v.getUint32(12) >= z) v.setUint32(12, v.getUint32(12) + grow);
        v.setUint32(36, v.getUint32(36) + grow);
      }
      break;
    }
    default: {
      const extra = 1 + (m.raw % 256);
      const g = new Uint8Array(b.length + extra);
      g.set(b);
      b = g;
      if (m.n & 1) set32(4, b.length);
    }
  }
  return b;
}

export interface FdtTreeMutation {
  op: number;
  node: number;
  node2: number;
  value: number;
  n: number;
}

const IOMMU_PROPS = ['iommu-map', 'msi-map', 'iommus', 'msi-parent', 'interrupt-parent', 'interrupts', 'interrupt-map', 'reg', 'ranges', 'dma-ranges', 'bus-range', 'iommu-map-mask', 'msi-map-mask', '#address-cells', '#size-cells', '#interrupt-cells', '#iommu-cells', 'phandle', 'compatible', 'status', 'linux,pci-domain', 'iommu-addresses', 'memory-region', 'interrupt-names', 'device_type'];

function allNodes(root: FdtNode): FdtNode[] {
  const out: FdtNode[] = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

function phandle(n: FdtNode, fresh: number): number {
  const p = n.props.find((x) => x.name === 'phandle');
  if (p && p.value.length === 4) return be(p.value).getUint32(0);
  n.props.push(mkProp('phandle', val.u32(fresh)));
  return fresh;
}

function setProp(n: FdtNode, p: FdtProp): void {
  const i = n.props.findIndex((x) => x.name === p.name);
  if (i >= 0) n.props[i] = p;
  else n.props.push(p);
}

/** Hostile values for a reference-carrying or cell-count property. */
function hostileValue(name: string, self: number, other: number, pick: number): Uint8Array {
  const big = [0xffff_ffff, 0x8000_0000, 0, 1, self, other];
  const x = big[pick % big.length]!;
  switch (name) {
    case 'iommu-map':
    case 'msi-map':
      return val.u32(...[[0, self, 0, 0xffff_ffff], [0xffff_fff0, other, 0xffff_fff0, 0x20], [0, self, 0, 0x10000, 0, self, 0, 0x10000], [x, x, x, x], [0, other, 0]][pick % 5]!);
    case 'iommus':
      return val.u32(...[[self, 0], [self], [other, x, other, x], [x]][pick % 4]!);
    case 'msi-parent':
    case 'interrupt-parent':
    case 'memory-region':
      return val.u32(...[[self], [other], [self, x], [x]][pick % 4]!);
    case '#address-cells':
    case '#size-cells':
    case '#interrupt-cells':
    case '#iommu-cells':
      return val.u32(...[[0], [0xffff_ffff], [3], [1000], [2, 2]][pick % 5]!);
    case 'compatible':
      return val.strings(...[['arm,smmu-v3'], ['pci-host-ecam-generic'], ['arm,gic-v3-its'], ['arm,gic-v3'], ['x'.repeat(5000)]][pick % 5]!);
    case 'status':
      return val.strings(['okay', 'disabled', 'reserved', 'fail', ''][pick % 5]!);
    case 'iommu-addresses':
      return val.u32(...[[self, 0, 0x8000_0000, 0, 0x1000], [self, x, x, x, x], [other]][pick % 3]!);
    default: {
      const forms = [val.u32(), new Uint8Array([1, 2, 3]), val.u32(x), val.u32(...Array.from({ length: 17 }, () => x)), val.u32(0, 0, 0, 0xffff_ffff, 0xffff_ffff)];
      return forms[pick % forms.length]!;
    }
  }
}

export function applyFdtTreeMutation(seed: Uint8Array, m: FdtTreeMutation): Uint8Array {
  const d = decodeDtb(seed, 'seed');
  if (!d.value) return seed;
  const tree = d.value;
  const nodes = allNodes(tree.root);
  const a = nodes[m.node % nodes.length]!;
  const b = nodes[m.node2 % nodes.length]!;
  const fresh = 0x7000 + (m.n % 0x100);
  switch (m.op % 6) {
    case 0:
    case 1: {
      const name = IOMMU_PROPS[m.value % IOMMU_PROPS.length]!;
      setProp(a, mkProp(name, hostileValue(name, phandle(a, fresh), phandle(b, fresh + 1), m.n)));
      break;
    }
    case 2: {
      // a reference cycle through two nodes
      const pa = phandle(a, fresh);
      const pb = phandle(b, fresh + 1);
      const name = ['msi-parent', 'interrupt-parent', 'iommu-map', 'msi-map'][m.value % 4]!;
      setProp(a, mkProp(name, name.endsWith('map') ? val.u32(0, pb, 0, 0x10000) : val.u32(pb)));
      setProp(b, mkProp(name, name.endsWith('map') ? val.u32(0, pa, 0, 0x10000) : val.u32(pa)));
      break;
    }
    case 3: {
      // deep nesting below a node (within and beyond the decoder's depth limit)
      const depth = 1 + (m.n % 100);
      let cur = a;
      for (let i = 0; i < depth; i++) {
        const c = mkNode(`n${i}@${i}`, [mkProp('#address-cells', val.u32(m.value % 3))]);
        cur.children.push(c);
        cur = c;
      }
      break;
    }
    case 4: {
      // fan-out: many copies of a node (duplicate names and phandles)
      const copies = 1 + (m.value % 16 === 0 ? m.n % 300 : m.n % 12);
      // Clones, never b itself: b may be an ancestor of a, and a tree must stay a tree.
      const proto = cloneNode(b);
      if (!(m.value & 2)) proto.children = [];
      for (let i = 0; i < copies; i++) {
        const c = cloneNode(proto);
        if (!(m.value & 1)) c.unitName = `${b.name}@${i.toString(16)}`;
        a.children.push(c);
      }
      break;
    }
    default: {
      // properties with odd names and sizes
      const names = ['', 'a'.repeat(1 + (m.n % 5000)), 'bad name', '#', '\u00ff', 'phandle', 'linux,phandle'];
      a.props.push(mkProp(names[m.value % names.length]!, new Uint8Array(m.n % 16 === 0 ? m.n % 70_000 : m.n % 64).fill(m.value & 0xff)));
    }
  }
  setPaths(tree.root, null);
  try {
    return writeDtb(tree);
  } catch {
    return seed;
  }
}

export const fdtByteMutationArb: fc.Arbitrary<FdtByteMutation> = fc.record({
  op: fc.nat(8),
  field: fc.nat(),
  value: fc.nat(),
  raw: fc.nat(),
  n: fc.nat(),
});

export const fdtTreeMutationArb: fc.Arbitrary<FdtTreeMutation> = fc.record({
  op: fc.nat(5),
  node: fc.nat(),
  node2: fc.nat(),
  value: fc.nat(),
  n: fc.nat(),
});
