/**
 * A tiny IORT writer for tests: nodes are described field by field (including broken ones) and
 * references are given by node name, resolved after layout. Independent of the back end's
 * encoder, so the lint can be tested on tables the encoder would never produce.
 */
import { ByteWriter } from '../../src/util/bytes';

export interface BMap {
  input: number;
  /** Stored "Number of IDs" (count - 1). */
  idCount: number;
  output: number;
  /** Target node name, or a raw table offset. */
  ref: string | number;
  single?: boolean;
}

export interface BNode {
  name: string;
  type: number;
  rev: number;
  id?: number;
  /** Fixed part after the 16-byte header. */
  body: (refOf: (n: string) => number) => Uint8Array;
  maps?: BMap[];
  /** Bytes after the mapping array (RMR descriptors). */
  tail?: Uint8Array;
  /** Overrides the stored mapping offset (0 with maps = broken node). */
  mappingOffset?: number;
}

const w = () => new ByteWriter(true);

export const its = (name: string, ids: number[] = [0], id?: number): BNode => ({
  name,
  type: 0,
  rev: 1,
  id,
  body: () => {
    const b = w().u32(ids.length);
    for (const i of ids) b.u32(i);
    return b.finish();
  },
});

export const rc = (name: string, o: { segment?: number; memLimit?: number; rev?: number; id?: number }, maps: BMap[]): BNode => ({
  name,
  type: 2,
  rev: o.rev ?? 3,
  id: o.id,
  maps,
  // memory access (cca, hints, reserved, flags), ATS, segment, memory limit, 3 reserved.
  body: () => w().u32(1).u8(0).u16(0).u8(3).u32(0).u32(o.segment ?? 0).u8(o.memLimit ?? 64).u8(0).u16(0).finish(),
});

export interface SmmuOpts {
  base?: bigint;
  flags?: number;
  gsivs?: [number, number, number, number];
  rev?: number;
  idIndex?: number;
  id?: number;
}

export const smmuv3 = (name: string, o: SmmuOpts, maps: BMap[]): BNode => ({
  name,
  type: 4,
  rev: o.rev ?? 4,
  id: o.id,
  maps,
  body: () => {
    const [e, p, g, s] = o.gsivs ?? [106, 107, 109, 108];
    return w()
      .u64(o.base ?? 0x0905_0000n)
      .u32(o.flags ?? 1)
      .u32(0)
      .u64(0n)
      .u32(0)
      .u32(e)
      .u32(p)
      .u32(g)
      .u32(s)
      .u32(0)
      .u32(o.idIndex ?? 0)
      .finish();
  },
});

export const rmr = (name: string, o: { flags?: number; descs: { base: bigint; len: bigint }[]; rev?: number; id?: number }, maps: BMap[]): BNode => {
  const tail = w();
  for (const d of o.descs) tail.u64(d.base).u64(d.len).u32(0);
  return {
    name,
    type: 6,
    rev: o.rev ?? 3,
    id: o.id,
    maps,
    tail: tail.finish(),
    body: () => w().u32(o.flags ?? 0).u32(o.descs.length).u32(o.descs.length ? 16 + 12 + 20 * maps.length : 0).finish(),
  };
};

export interface Built {
  bytes: Uint8Array;
  /** Table offset of each node. */
  at: Record<string, number>;
  /** Table offset of mapping `i` of node `name`. */
  map(name: string, i: number): number;
  /** Table offset of the first byte after node `name`'s mappings (RMR descriptors). */
  tail(name: string): number;
}

export function buildIort(revision: number, nodes: BNode[]): Built {
  const dummy = () => 0;
  const sizes = nodes.map((n) => 16 + n.body(dummy).length + 20 * (n.maps?.length ?? 0) + (n.tail?.length ?? 0));
  const at: Record<string, number> = {};
  let off = 48;
  nodes.forEach((n, i) => {
    at[n.name] = off;
    off += sizes[i]!;
  });
  const refOf = (r: string | number) => (typeof r === 'number' ? r : (at[r] ?? 0xdead));
  const t = w();
  t.bytes(new TextEncoder().encode('IORT')).u32(off).u8(revision).u8(0);
  t.bytes(new TextEncoder().encode('IOTOPOFIXTURE IOTO'.slice(0, 14)));
  t.u32(1).bytes(new TextEncoder().encode('IOTO')).u32(1);
  t.u32(nodes.length).u32(48).u32(0);
  nodes.forEach((n, i) => {
    const body = n.body((x) => refOf(x));
    const maps = n.maps ?? [];
    const mapOff = n.mappingOffset ?? (maps.length ? 16 + body.length : 0);
    t.u8(n.type).u16(sizes[i]!).u8(n.rev).u32(n.id ?? i).u32(maps.length).u32(mapOff);
    t.bytes(body);
    for (const m of maps) t.u32(m.input).u32(m.idCount).u32(m.output).u32(refOf(m.ref)).u32(m.single ? 1 : 0);
    if (n.tail) t.bytes(n.tail);
  });
  const bytes = t.finish();
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  bytes[9] = (0x100 - sum) & 0xff;
  return {
    bytes,
    at,
    map: (name, i) => at[name]! + 16 + nodes.find((n) => n.name === name)!.body(dummy).length + 20 * i,
    tail: (name) => {
      const n = nodes.find((x) => x.name === name)!;
      return at[name]! + 16 + n.body(dummy).length + 20 * (n.maps?.length ?? 0);
    },
  };
}

/** Recomputes the checksum after a test edited the bytes. */
export function fixChecksum(bytes: Uint8Array): Uint8Array {
  bytes[9] = 0;
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  bytes[9] = (0x100 - sum) & 0xff;
  return bytes;
}

/** ITS + SMMUv3 (all GSIVs wired) + RC: RIDs 0..0xff through the SMMU, the rest straight to the ITS. */
export function cleanNodes(): BNode[] {
  return [
    its('its'),
    smmuv3('smmu', {}, [{ input: 0, idCount: 0xffff, output: 0, ref: 'its' }]),
    rc('rc', {}, [
      { input: 0, idCount: 0xff, output: 0, ref: 'smmu' },
      { input: 0x100, idCount: 0xfeff, output: 0x100, ref: 'its' },
    ]),
  ];
}
