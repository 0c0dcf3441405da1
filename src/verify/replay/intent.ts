/**
 * What the config says about every RID: the segment's ridMap (owner bridge and target) and,
 * for RIDs translated by an SMMU, that SMMU's StreamID -> DeviceID map (msiMap). Independent of
 * both encoders, so the IORT and the DT are each judged against it.
 */
import type { IrMachine } from '../../ir/types';
import { type Affine, affAt, coalesce, type Piece, RID_MAX, sameAff, splitAt } from './pieces';

export interface IntentShape {
  owner: string | null;
  smmu: string | null;
  sid: Affine | null;
  its: string | null;
  dev: Affine | null;
}

const sameIntent = (a: IntentShape, b: IntentShape) =>
  a.owner === b.owner && a.smmu === b.smmu && a.its === b.its && sameAff(a.sid, b.sid) && sameAff(a.dev, b.dev);

export function intentPieces(ir: IrMachine, segment: number): Piece<IntentShape>[] {
  const seg = ir.segments.find((s) => s.segment === segment);
  const out: Piece<IntentShape>[] = [];
  const none = (lo: number, hi: number) => out.push({ lo, hi, v: { owner: null, smmu: null, sid: null, its: null, dev: null } });
  let cursor = 0;
  for (const r of [...(seg?.ridMap ?? [])].sort((a, b) => a.base - b.base)) {
    const lo = Math.max(r.base, cursor);
    const hi = Math.min(r.base + r.count - 1, RID_MAX);
    if (hi < lo) continue;
    if (lo > cursor) none(cursor, lo - 1);
    const t = r.target;
    if (t.kind === 'smmu') {
      const sid: Affine = { k: 1, c: t.streamBase - r.base };
      const msiMap = ir.smmus.find((s) => s.id === t.smmu)?.msiMap ?? [];
      const cuts = msiMap.flatMap((m) => [m.base - sid.c, m.base + m.count - sid.c]);
      for (const [a, b] of splitAt(lo, hi, cuts)) {
        const s = affAt(sid, a);
        const m = msiMap.find((x) => s >= x.base && s < x.base + x.count);
        out.push({
          lo: a,
          hi: b,
          v: { owner: r.owner, smmu: t.smmu, sid, its: m ? m.its : null, dev: m ? { k: 1, c: sid.c + m.outBase - m.base } : null },
        });
      }
    } else if (t.kind === 'its') {
      out.push({ lo, hi, v: { owner: r.owner, smmu: null, sid: null, its: t.its, dev: { k: 1, c: t.deviceBase - r.base } } });
    } else {
      out.push({ lo, hi, v: { owner: r.owner, smmu: null, sid: null, its: null, dev: null } });
    }
    cursor = hi + 1;
  }
  if (cursor <= RID_MAX) none(cursor, RID_MAX);
  return coalesce(out, sameIntent);
}
