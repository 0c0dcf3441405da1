/**
 * Indexes over one IrMachine, built once per check run so that every config check can look
 * things up by id and resolve a RID in O(log n). Everything here tolerates a broken IR
 * (hand-built in tests, or a lowering bug): missing references resolve to undefined.
 */
import type { Related } from '../../diag/diagnostic';
import type { Span } from '../../diag/span';
import type {
  IrDevice,
  IrHostBridge,
  IrIts,
  IrMachine,
  IrPlatformRegion,
  IrRidRange,
  IrRmr,
  IrRootPort,
  IrSegment,
  IrSmmu,
} from '../../ir/types';
import { union } from '../intervals';
import { pushTo } from '../util';

export interface ConfigCtx {
  ir: IrMachine;
  smmus: Map<string, IrSmmu>;
  bridges: Map<string, IrHostBridge>;
  its: Map<string, IrIts>;
  ports: Map<string, IrRootPort>;
  devices: Map<string, IrDevice>;
  segments: Map<number, IrSegment>;
  /** The RID-map range containing `rid` in `segment` (binary search; ridMap is sorted). */
  rangeOf(segment: number, rid: number): IrRidRange | undefined;
  /** The SMMU a device's DMA goes through, from the RID map (or its bridge when unmapped). */
  smmuOfDevice(d: IrDevice): { smmu: IrSmmu; streamId: number } | undefined;
  /** Devices whose DMA goes through each SMMU, in declaration order. */
  devicesBehind(smmuId: string): IrDevice[];
  /** Merged StreamID windows each SMMU receives from the RID map. */
  streamWindows(smmuId: string): { lo: bigint; end: bigint }[];
  /** Span of the machine, the fallback location. */
  machineSpan?: Span;
}

export function buildConfigCtx(ir: IrMachine): ConfigCtx {
  const idx = <T extends { id: string }>(xs: T[]) => {
    const m = new Map<string, T>();
    for (const x of xs) if (!m.has(x.id)) m.set(x.id, x);
    return m;
  };
  const smmus = idx(ir.smmus);
  const bridges = idx(ir.bridges);
  const segments = new Map<number, IrSegment>();
  const sortedMaps = new Map<number, IrRidRange[]>();
  for (const s of ir.segments) {
    if (segments.has(s.segment)) continue;
    segments.set(s.segment, s);
    sortedMaps.set(
      s.segment,
      [...s.ridMap].sort((a, b) => a.base - b.base || a.count - b.count),
    );
  }
  const rangeOf = (segment: number, r: number): IrRidRange | undefined => {
    const m = sortedMaps.get(segment);
    if (!m) return undefined;
    let lo = 0;
    let hi = m.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (m[mid]!.base <= r) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const cand = best >= 0 ? m[best] : undefined;
    return cand && r < cand.base + cand.count ? cand : undefined;
  };
  const smmuOfDevice = (d: IrDevice) => {
    const range = rangeOf(d.segment, d.rid);
    if (range) {
      if (range.target.kind !== 'smmu') return undefined;
      const smmu = smmus.get(range.target.smmu);
      return smmu ? { smmu, streamId: range.target.streamBase + (d.rid - range.base) } : undefined;
    }
    const b = bridges.get(d.bridge);
    const smmu = b?.iommu ? smmus.get(b.iommu) : undefined;
    return smmu ? { smmu, streamId: d.rid } : undefined;
  };
  const behind = new Map<string, IrDevice[]>();
  for (const d of ir.devices) {
    const s = smmuOfDevice(d);
    if (s) pushTo(behind, s.smmu.id, d);
  }
  const windows = new Map<string, { lo: bigint; end: bigint }[]>();
  for (const s of ir.segments)
    for (const r of s.ridMap)
      if (r.target.kind === 'smmu') {
        const w = windows.get(r.target.smmu) ?? [];
        w.push({ lo: BigInt(r.target.streamBase), end: BigInt(r.target.streamBase) + BigInt(r.count) });
        windows.set(r.target.smmu, w);
      }
  const merged = new Map([...windows].map(([k, v]) => [k, union(v)] as const));
  return {
    ir,
    smmus,
    bridges,
    its: idx(ir.its),
    ports: idx(ir.rootPorts),
    devices: idx(ir.devices),
    segments,
    rangeOf,
    smmuOfDevice,
    devicesBehind: (id) => behind.get(id) ?? [],
    streamWindows: (id) => merged.get(id) ?? [],
    machineSpan: ir.span,
  };
}

/** A related note pointing at a declaration (no span: the message alone). */
export function rel(message: string, x: { span?: Span } | undefined): Related {
  return x?.span ? { message, span: x.span } : { message };
}

export const ownerName = (r: IrRidRange): string => (r.owner === null ? 'no bridge' : `bridge '${r.owner}'`);

export function targetText(r: IrRidRange): string {
  const t = r.target;
  if (t.kind === 'smmu') return `SMMU '${t.smmu}' (StreamID base 0x${t.streamBase.toString(16)})`;
  if (t.kind === 'its') return `ITS '${t.its}' (DeviceID base 0x${t.deviceBase.toString(16)})`;
  return 'nothing (untranslated, no MSI)';
}

export const rmrLabel = (r: IrRmr): string => `RMR '${r.id}'`;

/**
 * A platform region "hosts" a declared window when the profile placed that window inside it:
 * the window lies inside the region and either is the region (the profile's own description of
 * the same thing: the legacy SMMU slot, the ITS frames; for an ECAM, the profile's larger ECAM
 * window starting at the same base) or takes its SPIs from the region's pool (dynamic sysbus
 * devices on QEMU's platform bus). A hosted window collides with its host neither in MMIO nor
 * in SPIs.
 */
export function hostOf(
  platform: readonly IrPlatformRegion[],
  base: bigint,
  size: bigint,
  spis: readonly number[],
  sameBaseAnySize = false,
): IrPlatformRegion | undefined {
  for (const r of platform) {
    if (base < r.base || base + size > r.base + r.size) continue;
    if (base === r.base && (sameBaseAnySize || size === r.size)) return r;
    if (spis.length > 0 && spis.every((s) => r.spis.includes(s))) return r;
  }
  return undefined;
}

/** SPIs (INTID - 32) of an SMMU's wired interrupts. */
export function smmuSpis(s: IrSmmu): number[] {
  return [s.irqs.event, s.irqs.pri, s.irqs.gerror, s.irqs.sync].filter((g) => g >= 32).map((g) => g - 32);
}
