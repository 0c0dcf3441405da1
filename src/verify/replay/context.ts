/** State shared by the resolution and replay phases of one proof. */
import type { IortTable } from '../../backends/iort/model';
import type { IrMachine } from '../../ir/types';
import type { DtBridge, DtInterpreter } from '../dt-map';
import type { DtPieces, DtShape } from './dt-pieces';
import type { IntentShape } from './intent';
import type { IortShape } from './iort-pieces';
import { affAt, hex, type Piece } from './pieces';
import type { Findings } from './report';

export type Merged = [IortShape, DtShape, IntentShape | null];

export interface SegmentProof {
  segment: number;
  /** Common refinement of the IORT, DT and config pieces. */
  pieces: Piece<Merged>[];
  /** The IORT's own pieces (coarser): the replay only depends on them. */
  iort: Piece<IortShape>[];
}

export interface DtContext {
  interp: DtInterpreter;
  pieces: DtPieces;
  segmentOf: (b: DtBridge) => number | null;
  /** IR bridge id a DT host-bridge node describes (null: none / no IR). */
  irBridgeOf: (path: string) => string | null;
  bridgeByPath: Map<string, DtBridge>;
}

/**
 * ITS identities: the IORT names an ITS by GIC translation ID, the DT by base address. With a
 * config the pairing comes from IrIts; without one the first RID where both tables name an ITS
 * fixes the pairing and later RIDs must follow it.
 */
export class ItsMap {
  private readonly byTid = new Map<number, bigint>();
  private readonly byBase = new Map<bigint, number>();
  readonly fixed: boolean;
  /** `dtIts`: bases of the DT's ITS nodes; without a config only those can pair with an IORT ITS. */
  constructor(
    ir: IrMachine | null,
    private readonly dtIts: ReadonlySet<bigint> | null = null,
  ) {
    this.fixed = ir !== null;
    for (const i of ir?.its ?? []) {
      if (!this.byTid.has(i.translationId)) this.byTid.set(i.translationId, i.base);
      if (!this.byBase.has(i.base)) this.byBase.set(i.base, i.translationId);
    }
  }
  baseOf(tid: number | null): bigint | null {
    return tid === null ? null : (this.byTid.get(tid) ?? null);
  }
  /** Do translation ID `tid` and base `base` name the same ITS? (learns when not fixed) */
  agree(tid: number | null, base: bigint): boolean {
    if (tid === null) return false;
    const b = this.byTid.get(tid);
    const t = this.byBase.get(base);
    if (b === undefined && t === undefined && !this.fixed && (this.dtIts === null || this.dtIts.has(base))) {
      this.byTid.set(tid, base);
      this.byBase.set(base, tid);
      return true;
    }
    return b === base;
  }
}

export interface ProofContext {
  t: IortTable;
  ir: IrMachine | null;
  dt: DtContext | null;
  f: Findings;
  its: ItsMap;
  segments: SegmentProof[];
}

// ------------------------------------------------------------------ shape accessors / text

export function smmuBaseOf(t: IortTable, node: number | null): bigint | null {
  if (node === null) return null;
  const n = t.nodes[node]!;
  return n.kind === 'smmu-v3' || n.kind === 'smmu-v1v2' ? n.base : null;
}

export function itsTidOf(t: IortTable, node: number | null): number | null {
  if (node === null) return null;
  const n = t.nodes[node]!;
  return n.kind === 'its-group' ? (n.identifiers[0] ?? null) : null;
}

export function iortText(t: IortTable, v: IortShape, rid: number): string {
  const base = smmuBaseOf(t, v.smmuNode);
  const io = base !== null && v.sid ? `SMMU ${hex(base)} StreamID ${hex(affAt(v.sid, rid))}` : v.unmapped ? 'no ID mapping (untranslated)' : 'no SMMU (bypass)';
  const tid = itsTidOf(t, v.itsNode);
  const msi = v.itsNode !== null && v.dev ? `ITS ${tid ?? '?'} DeviceID ${hex(affAt(v.dev, rid))}` : 'no MSI route';
  return `${io}, ${msi}`;
}

export function dtText(v: DtShape, rid: number): string {
  if (v.bridge === null) return 'no host bridge owns the RID';
  const io = v.smmu !== null && v.sid ? `SMMU ${hex(v.smmu)} StreamID ${hex(affAt(v.sid, rid))}` : 'no SMMU';
  const msi = v.its !== null && v.dev ? `ITS ${v.its < 0n ? '(no reg)' : hex(v.its)} DeviceID ${hex(affAt(v.dev, rid))}` : 'no MSI route';
  return `${io}, ${msi} (${v.bridge})`;
}

export function intentText(ir: IrMachine, v: IntentShape, rid: number): string {
  const s = v.smmu ? ir.smmus.find((x) => x.id === v.smmu) : undefined;
  const io = v.smmu && v.sid ? `SMMU '${v.smmu}' (${s ? hex(s.base) : '?'}) StreamID ${hex(affAt(v.sid, rid))}` : 'no SMMU';
  const i = v.its ? ir.its.find((x) => x.id === v.its) : undefined;
  const msi = v.its && v.dev ? `ITS '${v.its}' (${i ? `translation ID ${i.translationId}` : '?'}) DeviceID ${hex(affAt(v.dev, rid))}` : 'no MSI route';
  return `${io}, ${msi}${v.owner ? ` (bridge '${v.owner}')` : ' (no bridge)'}`;
}

/** Binary search of a piece list. */
export function pieceAt<T>(ps: readonly Piece<T>[], rid: number): Piece<T> | null {
  let lo = 0;
  let hi = ps.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    const p = ps[m]!;
    if (rid < p.lo) hi = m - 1;
    else if (rid > p.hi) lo = m + 1;
    else return p;
  }
  return null;
}
