/**
 * The DT interpreter (src/verify/dt-map.ts, Linux of_map_id) lifted to RID ranges. A segment's
 * RIDs belong to the first host-bridge node of the segment whose bus-range holds their bus;
 * within a bridge, `iommu-map` / `msi-map` are first-match tables over the masked RID, so
 * without a mask the outcome only changes at entry boundaries. With a mask the masked value is
 * not monotonic in the RID, so those bridges are evaluated RID by RID (still without traces)
 * and run-length merged.
 */
import {
  cellsOf,
  type FdtNode,
  getProp,
  isAvailable,
  parentMap,
  phandleIndex,
  propCells,
  propU32Value,
  regOf,
} from '../../backends/fdt/model';
import type { DtBridge, DtInterpreter } from '../dt-map';
import { type Affine, coalesce, type Piece, sameAff, slopeAff, splitAt } from './pieces';

export interface DtShape {
  /** Path of the host-bridge node that owns the RID, or null (no bridge has its bus). */
  bridge: string | null;
  smmu: bigint | null;
  sid: Affine | null;
  its: bigint | null;
  dev: Affine | null;
}

const NONE: DtShape = { bridge: null, smmu: null, sid: null, its: null, dev: null };

interface Entry {
  idBase: number;
  end: number;
  outBase: number;
  /** id-base has bits outside the mask: the lookup fails when this entry is reached. */
  bad: boolean;
  target: FdtNode | null;
}

interface CompiledMap {
  present: boolean;
  /** Bad length: every lookup fails. */
  broken: boolean;
  mask: number;
  entries: Entry[];
}

type MapHit = { kind: 'absent' } | { kind: 'error' } | { kind: 'nomatch' } | { kind: 'hit'; target: FdtNode; out: number };

function compile(node: FdtNode, name: string, phandles: Map<number, FdtNode>): CompiledMap {
  const prop = getProp(node, name);
  if (!prop) return { present: false, broken: false, mask: 0xffffffff, entries: [] };
  const cells = prop.value.length % 16 === 0 ? cellsOf(prop.value) : null;
  const mask = (getProp(node, `${name}-mask`) ? propU32Value(node, `${name}-mask`) : null) ?? 0xffffffff;
  if (!cells || cells.length === 0) return { present: true, broken: true, mask, entries: [] };
  const entries: Entry[] = [];
  for (let i = 0; i < cells.length; i += 4) {
    const idBase = cells[i]!;
    entries.push({
      idBase,
      end: (idBase + cells[i + 3]!) >>> 0,
      outBase: cells[i + 2]!,
      bad: (idBase & ~mask) >>> 0 !== 0,
      target: phandles.get(cells[i + 1]!) ?? null,
    });
  }
  return { present: true, broken: false, mask, entries };
}

function lookup(m: CompiledMap, masked: number): MapHit {
  if (!m.present) return { kind: 'absent' };
  if (m.broken) return { kind: 'error' };
  for (const e of m.entries) {
    if (e.bad) return { kind: 'error' };
    if (masked < e.idBase || masked >= e.end) continue;
    if (!e.target) return { kind: 'error' };
    return { kind: 'hit', target: e.target, out: (masked - e.idBase + e.outBase) >>> 0 };
  }
  return { kind: 'nomatch' };
}

const cutsOf = (m: CompiledMap): number[] => m.entries.flatMap((e) => [e.idBase, e.end]);

type MapIndex = (masked: number) => MapHit;

/** lookup() as a binary search over the map's constant pieces of [0, 0xffff]. */
function indexOf(m: CompiledMap): MapIndex {
  const ranges = splitAt(0, 0xffff, cutsOf(m));
  const hits = ranges.map(([a]) => lookup(m, a));
  return (x) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ranges[mid]![0] <= x) lo = mid;
      else hi = mid - 1;
    }
    const h = hits[lo]!;
    if (h.kind !== 'hit') return h;
    const a = ranges[lo]![0];
    return { kind: 'hit', target: h.target, out: (h.out + (x - a)) >>> 0 };
  };
}

const sameShape = (a: DtShape, b: DtShape) =>
  a.bridge === b.bridge && a.smmu === b.smmu && a.its === b.its && sameAff(a.sid, b.sid) && sameAff(a.dev, b.dev);

export class DtPieces {
  // Public so that every per-device DT lookup of the proof (dtDirectRegions) shares them.
  readonly phandles: Map<number, FdtNode>;
  readonly parents: Map<FdtNode, FdtNode | null>;
  private readonly compiled = new Map<string, { io: CompiledMap; msi: CompiledMap; msiParent: bigint | null }>();
  constructor(readonly interp: DtInterpreter) {
    this.phandles = phandleIndex(interp.root);
    this.parents = parentMap(interp.root);
  }

  /** First `reg` address of a node, as DtInterpreter reports it (0 when it has none). */
  baseOf(n: FdtNode): bigint | null {
    const p = this.parents.get(n);
    const r = p ? regOf(n, p) : null;
    return r && r.length ? r[0]!.address : null;
  }

  private maps(b: DtBridge) {
    let c = this.compiled.get(b.path);
    if (!c) {
      const mp = propCells(b.node, 'msi-parent');
      const parent = mp && mp.length ? this.phandles.get(mp[0]!) : undefined;
      c = {
        io: compile(b.node, 'iommu-map', this.phandles),
        msi: compile(b.node, 'msi-map', this.phandles),
        msiParent: parent ? (this.baseOf(parent) ?? null) : null,
      };
      // A msi-parent without a reg still names a controller; keep "some ITS" distinguishable from none.
      if (parent && c.msiParent === null) c.msiParent = -1n;
      this.compiled.set(b.path, c);
    }
    return c;
  }

  /** DtInterpreter.resolve without traces, for one RID. */
  shapeAt(b: DtBridge, rid: number, ioIdx?: MapIndex, msiIdx?: MapIndex): DtShape {
    const { io, msi, msiParent } = this.maps(b);
    const s: DtShape = { bridge: b.path, smmu: null, sid: null, its: null, dev: null };
    const find = (m: CompiledMap, idx: MapIndex | undefined, masked: number) => (idx ? idx(masked) : lookup(m, masked));
    const h = find(io, ioIdx, (rid & io.mask) >>> 0);
    if (h.kind === 'hit' && isAvailable(h.target)) {
      s.smmu = this.baseOf(h.target) ?? 0n;
      s.sid = slopeAff(rid, h.out);
    }
    const m = find(msi, msiIdx, (rid & msi.mask) >>> 0);
    if (m.kind === 'hit') {
      s.its = this.baseOf(m.target) ?? -1n;
      s.dev = slopeAff(rid, m.out);
    } else if (m.kind !== 'error' && msiParent !== null) {
      s.its = msiParent;
      s.dev = slopeAff(rid, rid);
    }
    return s;
  }

  /** Pieces for RIDs [lo, hi] that all belong to bridge `b`. */
  bridgePieces(b: DtBridge, lo: number, hi: number): Piece<DtShape>[] {
    const { io, msi } = this.maps(b);
    const out: Piece<DtShape>[] = [];
    if (io.mask !== 0xffffffff || msi.mask !== 0xffffffff) {
      // The masked RID jumps around, so go RID by RID, but with the entry found by binary
      // search over the map's own pieces (masked values never exceed the RID).
      const ioIdx = indexOf(io);
      const msiIdx = indexOf(msi);
      for (let r = lo; r <= hi; r++) out.push({ lo: r, hi: r, v: this.shapeAt(b, r, ioIdx, msiIdx) });
    } else {
      for (const [a, z] of splitAt(lo, hi, [...cutsOf(io), ...cutsOf(msi)])) out.push({ lo: a, hi: z, v: this.shapeAt(b, a) });
    }
    return coalesce(out, sameShape);
  }

  /** Every RID of a segment: owner bridge by bus-range (first in tree order), then its maps. */
  segmentPieces(segment: number, segmentOf: (b: DtBridge) => number | null): Piece<DtShape>[] {
    const mine = this.interp.bridges.filter((b) => segmentOf(b) === segment);
    const owner: (DtBridge | null)[] = [];
    for (let bus = 0; bus < 256; bus++) owner.push(mine.find((b) => bus >= b.busStart && bus <= b.busEnd) ?? null);
    const out: Piece<DtShape>[] = [];
    let bus = 0;
    while (bus < 256) {
      const o = owner[bus]!;
      let end = bus;
      while (end + 1 < 256 && owner[end + 1] === o) end++;
      const lo = bus << 8;
      const hi = ((end + 1) << 8) - 1;
      if (o) out.push(...this.bridgePieces(o, lo, hi));
      else out.push({ lo, hi, v: NONE });
      bus = end + 1;
    }
    return coalesce(out, sameShape);
  }
}

export const NO_DT_OWNER = NONE;
