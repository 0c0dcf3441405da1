/**
 * Resolution phase: for every RID of every segment, what the IORT, the DT and the config say
 * (SMMU, StreamID, ITS, DeviceID, owner bridge), compared piece by piece. Each disagreement
 * becomes a counterexample at the first RID of its range, with both interpreters' traces.
 */
import type { TraceStep } from '../types';
import { resolveRid } from '../iort-map';
import { VerifyCodes as C, type VerifyCode } from '../codes';
import { NO_DT_OWNER, type DtShape } from './dt-pieces';
import { type IntentShape, intentPieces } from './intent';
import { checkAgainstReference, type IortShape, iortPieces, IortWalker } from './iort-pieces';
import { type Affine, affAt, bdf, mergePieces, type Piece, RID_MAX } from './pieces';
import { dtText, intentText, iortText, itsTidOf, type Merged, type ProofContext, smmuBaseOf } from './context';

interface Diff {
  code: VerifyCode;
  message: string;
  expected: string;
  actual: string;
  /** Which interpreters' traces explain it. */
  sides: ('iort' | 'dt')[];
}

function sameAt(a: Affine | null, b: Affine | null, rid: number): boolean {
  if (a === null || b === null) return a === b;
  return affAt(a, rid) === affAt(b, rid);
}

function iortVsDt(ctx: ProofContext, iv: IortShape, dv: DtShape, rid: number): Diff | null {
  if (dv.bridge === null) return null;
  const t = ctx.t;
  const mk = (code: VerifyCode, message: string): Diff => ({ code, message, expected: `DT: ${dtText(dv, rid)}`, actual: `IORT: ${iortText(t, iv, rid)}`, sides: ['iort', 'dt'] });
  const ib = smmuBaseOf(t, iv.smmuNode);
  if (ib !== dv.smmu) return mk(C.smmuMismatch, 'the IORT and the DT send this RID to different SMMUs');
  if (ib !== null && !sameAt(iv.sid, dv.sid, rid)) return mk(C.streamIdMismatch, 'the IORT and the DT give this RID different StreamIDs');
  const tid = itsTidOf(t, iv.itsNode);
  const iHas = iv.itsNode !== null;
  const dHas = dv.its !== null;
  if (iHas !== dHas || (iHas && dHas && !ctx.its.agree(tid, dv.its!))) return mk(C.itsMismatch, 'the IORT and the DT send this RID\'s MSIs to different ITSes');
  if (iHas && !sameAt(iv.dev, dv.dev, rid)) return mk(C.deviceIdMismatch, 'the IORT and the DT give this RID different ITS DeviceIDs');
  return null;
}

function iortVsIntent(ctx: ProofContext, iv: IortShape, nv: IntentShape, rid: number): Diff | null {
  const ir = ctx.ir!;
  const t = ctx.t;
  const mk = (code: VerifyCode, message: string): Diff => ({ code, message, expected: `config: ${intentText(ir, nv, rid)}`, actual: `IORT: ${iortText(t, iv, rid)}`, sides: ['iort'] });
  const want = nv.smmu ? (ir.smmus.find((s) => s.id === nv.smmu)?.base ?? null) : null;
  const ib = smmuBaseOf(t, iv.smmuNode);
  if (want !== ib || (nv.smmu !== null && want === null)) return mk(C.intentSmmu, 'the IORT sends this RID to another SMMU than the config');
  if (ib !== null && !sameAt(iv.sid, nv.sid, rid)) return mk(C.intentSmmu, 'the IORT gives this RID another StreamID than the config');
  const wantTid = nv.its ? (ir.its.find((i) => i.id === nv.its)?.translationId ?? null) : null;
  const tid = itsTidOf(t, iv.itsNode);
  if ((nv.its === null) !== (iv.itsNode === null) || (nv.its !== null && wantTid !== tid)) return mk(C.intentMsi, 'the IORT sends this RID\'s MSIs to another ITS than the config');
  if (nv.its !== null && !sameAt(iv.dev, nv.dev, rid)) return mk(C.intentMsi, 'the IORT gives this RID another ITS DeviceID than the config');
  return null;
}

function ownerVsIntent(ctx: ProofContext, dv: DtShape, nv: IntentShape, rid: number): Diff | null {
  const dt = ctx.dt!;
  const got = dv.bridge === null ? null : dt.irBridgeOf(dv.bridge);
  if (dv.bridge === null && nv.owner === null) return null;
  if (dv.bridge !== null && got !== null && got === nv.owner) return null;
  const actual = dv.bridge === null ? 'no DT host bridge has its bus in bus-range' : `DT host bridge ${dv.bridge}${got ? ` (config bridge '${got}')` : ' (describes no bridge of the config)'}`;
  const expected = nv.owner === null ? 'no bridge (the config leaves this bus unowned)' : `bridge '${nv.owner}'`;
  return { code: C.ownerMismatch, message: 'the DT host bridge that owns this RID is not the config\'s', expected, actual, sides: ['dt'] };
}

function diffsAt(ctx: ProofContext, v: Merged, rid: number): Diff[] {
  const [iv, dv, nv] = v;
  const out: Diff[] = [];
  const a = ctx.dt ? iortVsDt(ctx, iv, dv, rid) : null;
  if (a) out.push(a);
  if (nv) {
    const b = iortVsIntent(ctx, iv, nv, rid);
    if (b) out.push(b);
    if (ctx.dt) {
      const c = ownerVsIntent(ctx, dv, nv, rid);
      if (c) out.push(c);
    }
  }
  return out;
}

/** IORT and DT traces for one RID. */
export function tracesFor(ctx: ProofContext, segment: number, rid: number, dv: DtShape | null, sides: ('iort' | 'dt')[]): { path: TraceStep[]; fwBugs: string[] } {
  const path: TraceStep[] = [];
  let fwBugs: string[] = [];
  if (sides.includes('iort')) {
    const r = resolveRid(ctx.t, segment, rid);
    path.push(...r.trace);
    fwBugs = r.fwBugs;
  }
  if (sides.includes('dt') && ctx.dt) {
    const b = dv?.bridge ? ctx.dt.bridgeByPath.get(dv.bridge) : undefined;
    if (b) path.push(...ctx.dt.interp.resolve(b, rid, segment).trace);
    else path.push(...ctx.dt.interp.resolveSegmentRid(segment, rid, ctx.dt.segmentOf).trace);
  }
  return { path, fwBugs };
}

/** The table entries that chose the outcome: the mapping steps of the traces. */
export function decisive(path: TraceStep[]): string[] {
  return path.filter((s) => /map #\d|map\[\d+\]|-map:|bus-range|no root complex|ID mappings|msi-parent/.test(s.what) || /:(iommu|msi)-map/.test(s.where)).map((s) => `${s.where}: ${s.what}`);
}

export function resolveSegments(ctx: ProofContext, segments: number[]): void {
  const { t, f } = ctx;
  const walker = new IortWalker(t);
  for (const segment of segments) {
    const ip = iortPieces(t, segment, false, walker);
    for (const p of ip) {
      for (const rid of p.lo === p.hi ? [p.lo] : [p.lo, p.hi]) {
        const problem = checkAgainstReference(t, segment, rid, p.v);
        if (problem) f.note(C.internal, `RID ${bdf(segment, rid)}: the piecewise IORT walk disagrees with resolveRid (${problem})`);
      }
    }
    // FW_BUG texts are constant between the walk's own split points (and -EAGAIN IDs are
    // split points of their own), so both ends of every raw piece find them all.
    for (const p of iortPieces(t, segment, true, walker)) {
      const lo = resolveRid(t, segment, p.lo);
      const hi = p.hi > p.lo ? resolveRid(t, segment, p.hi) : lo;
      for (const r of lo === hi || lo.fwBugs.join() === hi.fwBugs.join() ? [lo] : [lo, hi]) {
        if (!r.fwBugs.length) continue;
        const whole = r === lo && lo.fwBugs.join() === hi.fwBugs.join() && p.hi > p.lo;
        const where = r.trace.find((s) => /FW_BUG|supersedes|-EAGAIN/.test(s.what));
        f.note(C.fwBug, `RID ${bdf(segment, r.rid)}${whole ? `..${bdf(segment, p.hi).slice(5)}` : ''}: Linux logs ${r.fwBugs.map((b) => `"${b}"`).join(', ')}`, where);
      }
    }
    const dp: Piece<DtShape>[] = ctx.dt ? ctx.dt.pieces.segmentPieces(segment, ctx.dt.segmentOf) : [{ lo: 0, hi: RID_MAX, v: NO_DT_OWNER }];
    const np: Piece<IntentShape | null>[] = ctx.ir ? intentPieces(ctx.ir, segment) : [{ lo: 0, hi: RID_MAX, v: null }];
    const merged = mergePieces<Merged>([ip, dp, np]);
    ctx.segments.push({ segment, pieces: merged, iort: ip });
    for (const p of merged) {
      let rid = p.lo;
      let ds = diffsAt(ctx, p.v, rid);
      if (ds.length === 0 && p.hi > p.lo) {
        ds = diffsAt(ctx, p.v, p.hi);
        rid = p.lo + 1;
        if (ds.length) ds = diffsAt(ctx, p.v, rid);
      }
      for (const d of ds) {
        // Past the cap only the count matters: skip the traces.
        const { path } = f.full ? { path: [] } : tracesFor(ctx, segment, rid, p.v[1], d.sides);
        f.counterexample(d.code, {
          segment,
          rid,
          bdf: bdf(segment, rid),
          range: { lo: rid, hi: p.hi },
          message: d.message,
          expected: d.expected,
          actual: d.actual,
          path,
          decidedBy: decisive(path),
        });
      }
    }
  }
}
