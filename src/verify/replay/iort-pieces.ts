/**
 * The IORT interpreter (src/verify/iort-map.ts, Linux iort_node_map_id) lifted to whole RID
 * ranges. At each node the outcome for an input ID only changes at a mapping's first ID, its
 * last ID (the -EAGAIN boundary that a later range starting there may take over, the
 * HiSilicon/old-QEMU off-by-one workaround) and the ID after its last, so the walk splits a
 * range at those points (mapped back to RIDs through the current offset) and evaluates one
 * representative per sub-range with the same first-match rules as mapId.
 *
 * `checkAgainstReference` re-runs the reference interpreter (resolveRid) at both ends of every
 * piece, so a slip in this fast path shows up as an internal error instead of a wrong proof.
 */
import { type IortNode, type IortTable, NodeType, smmuV3DeviceIdIndex } from '../../backends/iort/model';
import { findRootComplex, type LookupKind, MAX_DEPTH, resolveRid } from '../iort-map';
import { type Affine, affAt, constAff, type Piece, mergePieces, RID_MAX, splitAt, coalesce, sameAff } from './pieces';

const TWO32 = 4294967296;

const WANTED: Record<LookupKind, readonly number[]> = {
  iommu: [NodeType.SmmuV1V2, NodeType.SmmuV3],
  msi: [NodeType.ItsGroup],
};
const SINGLE_OK: readonly number[] = [NodeType.NamedComponent, NodeType.RootComplex, NodeType.Iwb];

export interface WalkEnd {
  /** Node index of the wanted node reached, or null. */
  node: number | null;
  id: Affine | null;
  failedAtStart: boolean;
}

export interface IortShape {
  smmuNode: number | null;
  sid: Affine | null;
  itsNode: number | null;
  dev: Affine | null;
  unmapped: boolean;
}

function specialIndex(n: IortNode): number | null {
  if (n.kind === 'smmu-v3') return smmuV3DeviceIdIndex(n).index;
  if (n.kind === 'pmcg') return n.overflowGsiv || n.mappingCount === 0 ? null : 0;
  return null;
}

interface Step {
  ref: number;
  /** The mapping whose formula gives the output. */
  inputBase: number;
  outputBase: number;
  single: boolean;
}

/** One node of mapId's loop for input `x` (no traces): the mapping used, or null (fail). */
function stepAt(n: IortNode, skip: number | null, x: number): Step | null {
  const maps = n.mappings;
  let outRef = 0;
  let again: Step | null = null;
  for (let i = 0; i < maps.length; i++) {
    if (i === skip) continue;
    const m = maps[i]!;
    if (m.single) {
      if (SINGLE_OK.includes(n.type)) return { ref: m.outputRef, inputBase: m.inputBase, outputBase: m.outputBase, single: true };
      continue;
    }
    if (x < m.inputBase || x > m.inputBase + m.idCount) continue;
    if (outRef !== 0 && x !== m.inputBase) continue;
    const s: Step = { ref: m.outputRef, inputBase: m.inputBase, outputBase: m.outputBase, single: false };
    if (m.idCount > 0 && x === m.inputBase + m.idCount) {
      outRef = m.outputRef;
      again = s;
      continue;
    }
    return s;
  }
  return again;
}

function cutsOf(n: IortNode, skip: number | null): number[] {
  const cuts: number[] = [];
  n.mappings.forEach((m, i) => {
    if (i === skip || m.single) return;
    cuts.push(m.inputBase, m.inputBase + m.idCount, m.inputBase + m.idCount + 1);
  });
  return cuts;
}

/**
 * Walks one table. Its indexes (nodes by offset, each node's cut points) depend on the table
 * only: a proof walks every segment four times (IOMMU and MSI, coalesced and raw) and passes
 * one walker to all of them, since a fresh one per walk re-indexed the whole table per segment.
 */
export class IortWalker {
  private readonly byOffset: Map<number, number>;
  private readonly cuts = new Map<number, { skip: number | null; cuts: number[] }>();
  constructor(readonly t: IortTable) {
    this.byOffset = new Map(t.nodes.map((n) => [n.offset, n.index]));
  }
  private nodeInfo(i: number) {
    let c = this.cuts.get(i);
    if (!c) {
      const n = this.t.nodes[i]!;
      const skip = specialIndex(n);
      c = { skip, cuts: cutsOf(n, skip) };
      this.cuts.set(i, c);
    }
    return c;
  }

  walk(node: number, x: Affine, lo: number, hi: number, depth: number, want: LookupKind, out: Piece<WalkEnd>[]): void {
    const fail = (first: boolean) => out.push({ lo, hi, v: { node: null, id: null, failedAtStart: first } });
    if (depth > MAX_DEPTH) return void fail(false);
    const n = this.t.nodes[node]!;
    if (WANTED[want].includes(n.type)) return void out.push({ lo, hi, v: { node, id: x, failedAtStart: false } });
    if (!n.mappingOffset || !n.mappingCount || n.mappings.length === 0 || n.mappings[0]!.outputRef === 0) return void fail(depth === 0);
    const { skip, cuts } = this.nodeInfo(node);
    const ranges = x.k === 1 ? splitAt(lo, hi, cuts.map((c) => c - x.c)) : [[lo, hi] as [number, number]];
    for (const [a, b] of ranges) {
      const s = stepAt(n, skip, affAt(x, a));
      if (s === null) {
        out.push({ lo: a, hi: b, v: { node: null, id: null, failedAtStart: depth === 0 } });
        continue;
      }
      const next = this.byOffset.get(s.ref);
      if (next === undefined) {
        out.push({ lo: a, hi: b, v: { node: null, id: null, failedAtStart: false } });
        continue;
      }
      if (s.single || x.k === 0) {
        const v = s.single ? s.outputBase : (affAt(x, a) - s.inputBase + s.outputBase) >>> 0;
        this.walk(next, constAff(v), a, b, depth + 1, want, out);
        continue;
      }
      // out = (rid + c) mod 2^32: split where it wraps.
      const c = x.c - s.inputBase + s.outputBase;
      const wrapAt = TWO32 - c;
      for (const [p, q] of splitAt(a, b, [wrapAt])) {
        const cc = p + c >= TWO32 ? c - TWO32 : c;
        this.walk(next, { k: 1, c: cc }, p, q, depth + 1, want, out);
      }
    }
  }
}

const sameEnd = (a: WalkEnd, b: WalkEnd) => a.node === b.node && a.failedAtStart === b.failedAtStart && sameAff(a.id, b.id);

/**
 * `raw`: keep the walk's own split points (every mapping boundary, the -EAGAIN IDs) instead of
 * joining neighbours with equal outcomes; Linux's FW_BUG messages only change there.
 */
export function walkPieces(t: IortTable, segment: number, want: LookupKind, raw = false, walker?: IortWalker): Piece<WalkEnd>[] {
  const rc = findRootComplex(t, segment);
  if (!rc) return [{ lo: 0, hi: RID_MAX, v: { node: null, id: null, failedAtStart: true } }];
  const out: Piece<WalkEnd>[] = [];
  (walker ?? new IortWalker(t)).walk(rc.index, { k: 1, c: 0 }, 0, RID_MAX, 0, want, out);
  out.sort((a, b) => a.lo - b.lo);
  return raw ? out : coalesce(out, sameEnd);
}

/** What the IORT says for every RID of a segment, as pieces. */
export function iortPieces(t: IortTable, segment: number, raw = false, walker?: IortWalker): Piece<IortShape>[] {
  const io = walkPieces(t, segment, 'iommu', raw, walker);
  const msi = walkPieces(t, segment, 'msi', raw, walker);
  return mergePieces<[WalkEnd, WalkEnd]>([io, msi]).map((p) => {
    const [a, b] = p.v;
    return {
      lo: p.lo,
      hi: p.hi,
      v: { smmuNode: a.node, sid: a.node === null ? null : a.id, itsNode: b.node, dev: b.node === null ? null : b.id, unmapped: a.failedAtStart },
    };
  });
}

/** Describes the first difference between a piece's prediction and resolveRid at `rid`. */
export function checkAgainstReference(t: IortTable, segment: number, rid: number, v: IortShape): string | null {
  const r = resolveRid(t, segment, rid);
  const smmu = v.smmuNode === null ? null : t.nodes[v.smmuNode]!;
  const base = smmu && (smmu.kind === 'smmu-v3' || smmu.kind === 'smmu-v1v2') ? smmu.base : null;
  const sid = v.sid ? affAt(v.sid, rid) : null;
  const dev = v.dev ? affAt(v.dev, rid) : null;
  const its = v.itsNode === null ? null : t.nodes[v.itsNode]!;
  const tid = its && its.kind === 'its-group' ? (its.identifiers[0] ?? null) : null;
  const problems: string[] = [];
  if ((r.smmu?.base ?? null) !== base) problems.push(`SMMU ${r.smmu?.base} vs ${base}`);
  if (r.streamId !== sid) problems.push(`StreamID ${r.streamId} vs ${sid}`);
  if ((r.its === null) !== (its === null) || (r.its?.translationId ?? null) !== tid) problems.push(`ITS ${JSON.stringify(r.its)} vs ${tid}`);
  if (r.deviceId !== dev) problems.push(`DeviceID ${r.deviceId} vs ${dev}`);
  if (r.unmapped !== v.unmapped) problems.push(`unmapped ${r.unmapped} vs ${v.unmapped}`);
  return problems.length ? problems.join(', ') : null;
}
