/**
 * Synthetic IORT tables for decoder and interpreter tests, written byte by byte here (not through
 * the encoder) so that they can be as odd as real firmware: any node revision, RC nodes of 32,
 * 36 or 40 bytes, trailing bytes inside nodes (unaligned successors), RMR descriptors before the
 * mappings, arbitrary references. `patch` edits the result for broken-table cases.
 */
export interface MapSpec {
  input: number;
  /** Stored Number of IDs (count - 1). */
  idCount: number;
  output: number;
  /** Index of the target node, or a raw table offset. */
  to: number | { ref: number };
  flags?: number;
}

export type NodeSpec =
  | { kind: 'its'; ids: number[]; rev?: number }
  | { kind: 'rc'; segment: number; maps: MapSpec[]; rev?: number; fixed?: 32 | 36 | 40; ats?: number; memLimit?: number }
  | {
      kind: 'smmuv3';
      base: bigint;
      maps: MapSpec[];
      rev?: number;
      flags?: number;
      gsivs?: [number, number, number, number];
      index?: number;
      fixed?: 60 | 68;
    }
  | { kind: 'smmuv2'; base: bigint; maps: MapSpec[]; contextIrqs?: number[]; pmuIrqs?: number[] }
  | { kind: 'nc'; name: string; maps: MapSpec[]; rev?: number }
  | { kind: 'pmcg'; base: bigint; ref: number; maps: MapSpec[]; rev?: number; overflow?: number }
  | { kind: 'rmr'; maps: MapSpec[]; descriptors: [bigint, bigint][]; rev?: number; flags?: number; descFirst?: boolean }
  | { kind: 'iwb'; base: bigint; index: number; name: string; maps: MapSpec[] }
  | { kind: 'raw'; type: number; body: number[]; rev?: number };

export interface SynthOptions {
  revision?: number;
  /** Extra bytes appended inside node i (its length grows; the next node becomes unaligned). */
  tail?: Record<number, number>;
  /** Identifier per node; default index. */
  identifiers?: boolean;
}

const pad4 = (n: number) => (n + 3) & ~3;

function layout(n: NodeSpec): { fixed: number; mapAt: number; size: number } {
  const m = 'maps' in n ? n.maps.length * 20 : 0;
  switch (n.kind) {
    case 'its':
      return { fixed: 20 + 4 * n.ids.length, mapAt: 0, size: 20 + 4 * n.ids.length };
    case 'rc': {
      const f = n.fixed ?? 36;
      return { fixed: f, mapAt: f, size: f + m };
    }
    case 'smmuv3': {
      const f = n.fixed ?? 68;
      return { fixed: f, mapAt: f, size: f + m };
    }
    case 'smmuv2': {
      const f = 76 + 8 * ((n.contextIrqs?.length ?? 0) + (n.pmuIrqs?.length ?? 0));
      return { fixed: f, mapAt: f, size: f + m };
    }
    case 'nc': {
      const f = pad4(29 + n.name.length + 1);
      return { fixed: f, mapAt: f, size: f + m };
    }
    case 'pmcg':
      return { fixed: 40, mapAt: 40, size: 40 + m };
    case 'rmr': {
      const d = n.descriptors.length * 20;
      return { fixed: 28, mapAt: n.descFirst ? 28 + d : 28, size: 28 + d + m };
    }
    case 'iwb': {
      const f = pad4(26 + n.name.length + 1);
      return { fixed: f, mapAt: f, size: f + m };
    }
    case 'raw':
      return { fixed: 16 + n.body.length, mapAt: 0, size: 16 + n.body.length };
  }
}

const TYPE: Record<NodeSpec['kind'], number> = { its: 0, nc: 1, rc: 2, smmuv2: 3, smmuv3: 4, pmcg: 5, rmr: 6, iwb: 7, raw: -1 };

export function synthTable(nodes: NodeSpec[], opts: SynthOptions = {}): Uint8Array {
  const lays = nodes.map(layout);
  const offsets: number[] = [];
  let at = 48;
  nodes.forEach((_, i) => {
    offsets.push(at);
    at += lays[i]!.size + (opts.tail?.[i] ?? 0);
  });
  const buf = new Uint8Array(at);
  const v = new DataView(buf.buffer);
  const u8 = (o: number, x: number) => v.setUint8(o, x);
  const u16 = (o: number, x: number) => v.setUint16(o, x, true);
  const u32 = (o: number, x: number) => v.setUint32(o, x >>> 0, true);
  const u64 = (o: number, x: bigint) => v.setBigUint64(o, x, true);
  const ascii = (o: number, s: string) => [...s].forEach((c, i) => u8(o + i, c.charCodeAt(0)));
  ascii(0, 'IORT');
  u32(4, at);
  u8(8, opts.revision ?? 5);
  ascii(10, 'SYNTH ');
  ascii(16, 'SYNTHTBL');
  u32(24, 1);
  ascii(28, 'TEST');
  u32(32, 1);
  u32(36, nodes.length);
  u32(40, 48);
  nodes.forEach((n, i) => {
    const o = offsets[i]!;
    const l = lays[i]!;
    const maps = 'maps' in n ? n.maps : [];
    u8(o, n.kind === 'raw' ? n.type : TYPE[n.kind]);
    u16(o + 1, l.size + (opts.tail?.[i] ?? 0));
    u8(o + 3, 'rev' in n && n.rev !== undefined ? n.rev : 0);
    u32(o + 4, opts.identifiers === false ? 0 : i);
    u32(o + 8, maps.length);
    u32(o + 12, maps.length ? l.mapAt : 0);
    maps.forEach((m, k) => {
      const a = o + l.mapAt + 20 * k;
      u32(a, m.input);
      u32(a + 4, m.idCount);
      u32(a + 8, m.output);
      u32(a + 12, typeof m.to === 'number' ? offsets[m.to]! : m.to.ref);
      u32(a + 16, m.flags ?? 0);
    });
    switch (n.kind) {
      case 'its':
        u32(o + 16, n.ids.length);
        n.ids.forEach((id, k) => u32(o + 20 + 4 * k, id));
        break;
      case 'rc':
        u32(o + 16, 1);
        u8(o + 23, 3);
        u32(o + 24, n.ats ?? 0);
        u32(o + 28, n.segment);
        if (l.fixed > 32) u8(o + 32, n.memLimit ?? 48);
        break;
      case 'smmuv3': {
        u64(o + 16, n.base);
        u32(o + 24, n.flags ?? 1);
        const g = n.gsivs ?? [100, 101, 102, 103];
        g.forEach((x, k) => u32(o + 44 + 4 * k, x));
        if (l.fixed >= 68) u32(o + 64, n.index ?? 0);
        break;
      }
      case 'smmuv2': {
        u64(o + 16, n.base);
        u64(o + 24, 0x10000n);
        u32(o + 32, 3);
        u32(o + 40, 60);
        const ctx = n.contextIrqs ?? [];
        const pmu = n.pmuIrqs ?? [];
        u32(o + 44, ctx.length);
        u32(o + 48, 76);
        u32(o + 52, pmu.length);
        u32(o + 56, 76 + 8 * ctx.length);
        u32(o + 60, 40);
        u32(o + 64, 1);
        ctx.forEach((g, k) => u32(o + 76 + 8 * k, g));
        pmu.forEach((g, k) => u32(o + 76 + 8 * (ctx.length + k), g));
        break;
      }
      case 'nc':
        u32(o + 20, 1);
        u8(o + 28, 44);
        ascii(o + 29, n.name);
        break;
      case 'pmcg':
        u64(o + 16, n.base);
        u32(o + 24, n.overflow ?? 0);
        u32(o + 28, offsets[n.ref]!);
        u64(o + 32, n.base + 0x10000n);
        break;
      case 'rmr': {
        u32(o + 16, n.flags ?? 0);
        u32(o + 20, n.descriptors.length);
        const dAt = n.descFirst ? 28 : 28 + 20 * maps.length;
        u32(o + 24, dAt);
        n.descriptors.forEach(([b, len], k) => {
          u64(o + dAt + 20 * k, b);
          u64(o + dAt + 20 * k + 8, len);
        });
        break;
      }
      case 'iwb':
        u64(o + 16, n.base);
        u16(o + 24, n.index);
        ascii(o + 26, n.name);
        break;
      case 'raw':
        n.body.forEach((b, k) => u8(o + 16 + k, b));
        break;
    }
  });
  fixChecksum(buf);
  return buf;
}

export function fixChecksum(buf: Uint8Array): Uint8Array {
  buf[9] = 0;
  let s = 0;
  for (const b of buf) s = (s + b) & 0xff;
  buf[9] = (0x100 - s) & 0xff;
  return buf;
}

/** Little-endian field edit + checksum fix, for broken-table cases. */
export function patch(buf: Uint8Array, edits: [offset: number, size: 1 | 2 | 4, value: number][]): Uint8Array {
  const out = buf.slice();
  const v = new DataView(out.buffer);
  for (const [o, s, x] of edits) {
    if (s === 1) v.setUint8(o, x);
    else if (s === 2) v.setUint16(o, x, true);
    else v.setUint32(o, x >>> 0, true);
  }
  return fixChecksum(out);
}

/** Table offset of node i in a table made by synthTable (walks the lengths). */
export function nodeOffset(buf: Uint8Array, i: number): number {
  const v = new DataView(buf.buffer, buf.byteOffset);
  let o = 48;
  for (let k = 0; k < i; k++) o += v.getUint16(o + 1, true);
  return o;
}
