/**
 * Per-segment RID maps. Each segment's map covers [0, 0x10000) exactly: the bridges' RID
 * ranges, with the RIDs that no bridge owns as explicit gap entries. In qemu-virt the gaps go
 * to the ITS, as QEMU's build_iort writes the complement of the SMMU ranges as RC->ITS maps.
 */
import type { IrHostBridge, IrRidRange, IrSegment, RidTarget } from './types';

const RID_SPACE = 0x1_0000;

export function bridgeTarget(b: IrHostBridge, ridBase: number): RidTarget {
  const seg = b.segment << 16;
  if (b.iommu) return { kind: 'smmu', smmu: b.iommu, streamBase: (seg | ridBase) >>> 0 };
  if (b.msiParent) return { kind: 'its', its: b.msiParent, deviceBase: (seg | ridBase) >>> 0 };
  return { kind: 'none' };
}

/** `gapIts`: the ITS that receives RIDs owned by no bridge, or null (target none). */
export function buildRidMaps(bridges: IrHostBridge[], gapIts: string | null): IrSegment[] {
  const segs = [...new Set(bridges.map((b) => b.segment))].sort((a, b) => a - b);
  return segs.map((segment) => {
    const mine = bridges.filter((b) => b.segment === segment).sort((a, b) => a.busStart - b.busStart || a.busEnd - b.busEnd);
    const ridMap: IrRidRange[] = [];
    const gap = (base: number, end: number) => {
      if (end <= base) return;
      ridMap.push({
        base,
        count: end - base,
        target: gapIts ? { kind: 'its', its: gapIts, deviceBase: ((segment << 16) | base) >>> 0 } : { kind: 'none' },
        owner: null,
      });
    };
    let cursor = 0;
    for (const b of mine) {
      const base = b.busStart << 8;
      const end = (b.busEnd + 1) << 8;
      // Overlapping bridges are reported by lowering; keep the map well formed regardless.
      if (base < cursor) continue;
      gap(cursor, base);
      ridMap.push({ base, count: end - base, target: bridgeTarget(b, base), owner: b.id });
      cursor = end;
    }
    gap(cursor, RID_SPACE);
    return { segment, ridMap };
  });
}

/** Sorts and merges overlapping or adjacent ranges. */
export function mergeIdRanges(ranges: { base: number; count: number }[]): { base: number; count: number }[] {
  const sorted = [...ranges].sort((a, b) => a.base - b.base || a.count - b.count);
  const out: { base: number; count: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.base <= last.base + last.count) {
      last.count = Math.max(last.count, r.base + r.count - last.base);
    } else out.push({ ...r });
  }
  return out;
}
