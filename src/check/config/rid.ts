/** RID-map checks: every RID a host bridge owns reaches exactly the target the bridge declares. */
import type { IrHostBridge, IrRidRange } from '../../ir/types';
import { check } from '../define';
import { gaps, hex, intersect, rangeText, sweepOverlaps, type Iv } from '../intervals';
import type { ConfigCtx } from './context';
import { pushTo } from '../util';
import { ownerName, rel, targetText } from './context';

const RID_SPACE = 0x10000;
const bridgeWindow = (b: IrHostBridge) => ({ lo: BigInt(b.busStart) << 8n, end: BigInt(b.busEnd + 1) << 8n });
const rangeIv = (r: IrRidRange) => ({ lo: BigInt(r.base), end: BigInt(r.base) + BigInt(r.count) });

export const ridOverlap = check<ConfigCtx>({
  name: 'rid-overlap',
  code: 'IOT5001',
  level: 'error',
  target: 'config',
  title: 'RID-map ranges overlap or leave the 16-bit RID space',
  explain:
    'The lowered RID map of a PCI segment is a list of ranges [base, base+count) over the 16-bit ' +
    'RID space; each RID must fall in at most one range and every range must be non-empty and end ' +
    'at or below 0x10000. In the IORT the ranges become root-complex ID mappings, and Linux ' +
    'iort_id_map() takes the first matching entry in array order without any diagnostic, so an ' +
    'overlap silently routes the later range\'s RIDs to the earlier range\'s target.',
  source: 'IORT (DEN 0049) ID mapping, Linux drivers/acpi/arm64/iort.c iort_id_map(); reference iort.md §3',
  prereqs: [],
  run(ctx, report) {
    for (const seg of ctx.ir.segments) {
      const ivs: Iv<IrRidRange>[] = [];
      for (const r of seg.ridMap) {
        const span = r.owner ? ctx.bridges.get(r.owner)?.span : undefined;
        if (!Number.isInteger(r.base) || !Number.isInteger(r.count) || r.count <= 0 || r.base < 0 || r.base + r.count > RID_SPACE)
          report({
            message: `segment ${seg.segment}: RID range base ${hex(r.base)} count ${r.count} (${ownerName(r)}) is empty or outside 0x0..0xffff`,
            span,
          });
        else ivs.push({ ...rangeIv(r), item: r });
      }
      sweepOverlaps(ivs, (a, b) =>
        report({
          message: `segment ${seg.segment}: RID range ${rangeText(b.lo, b.end)} (${ownerName(b.item)} -> ${targetText(b.item)}) overlaps ${rangeText(a.lo, a.end)} (${ownerName(a.item)} -> ${targetText(a.item)})`,
          span: (b.item.owner ? ctx.bridges.get(b.item.owner) : undefined)?.span,
          related: [rel(`the other range belongs to ${ownerName(a.item)}`, a.item.owner ? ctx.bridges.get(a.item.owner) : undefined)],
          help: 'Linux takes the first matching IORT mapping silently; give each RID exactly one range',
        }),
      );
    }
  },
});

export const ridCoverage = check<ConfigCtx>({
  name: 'rid-coverage',
  code: 'IOT5002',
  level: 'error',
  target: 'config',
  title: 'a host bridge owns RIDs that no range of its own covers',
  explain:
    'A host bridge owns the RIDs of its bus range (busStart<<8 .. (busEnd+1)<<8 - 1). Each of them ' +
    'must lie in a RID-map range whose owner is that bridge, and a bridge\'s ranges must not reach ' +
    'into RIDs of other buses. A RID that falls in no range is untranslated on Linux (no IOMMU, the ' +
    'input ID is kept as-is for MSI), and a RID that falls in another owner\'s range is routed to ' +
    'that owner\'s target; both are silent on the guest side.',
  source: 'Linux iort_node_map_id() (unmapped RID -> no IOMMU) and of_map_id() ("no iommu-map translation"); QEMU create_rc_its_idmaps(); iort.md §3, fdt.md §3.3',
  prereqs: ['rid-overlap', 'bus-overlap'],
  run(ctx, report) {
    for (const seg of ctx.ir.segments) {
      const ranges = [...seg.ridMap].sort((a, b) => a.base - b.base);
      const ownersOf = new Map<string, { lo: bigint; end: bigint }[]>();
      for (const r of ranges) {
        if (r.owner === null) continue;
        const b = ctx.bridges.get(r.owner);
        if (!b) {
          report({ message: `segment ${seg.segment}: RID range ${rangeText(r.base, r.base + r.count)} names owner '${r.owner}', which is not a host bridge` });
          continue;
        }
        if (b.segment !== seg.segment) {
          report({
            message: `RID range ${rangeText(r.base, r.base + r.count)} of segment ${seg.segment} is owned by bridge '${b.id}', which is in segment ${b.segment}`,
            span: b.span,
          });
          continue;
        }
        pushTo(ownersOf, b.id, rangeIv(r));
        const w = bridgeWindow(b);
        const outside = gaps([w], rangeIv(r).lo, rangeIv(r).end);
        for (const g of outside)
          report({
            message: `bridge '${b.id}' (buses ${hex(b.busStart)}..${hex(b.busEnd)}) owns RID range ${rangeText(r.base, r.base + r.count)}, whose RIDs ${rangeText(g.lo, g.end)} are not on its buses`,
            span: b.span,
          });
      }
      // Bridges are disjoint (bus-overlap passed) and ranges are disjoint (rid-overlap passed),
      // so walking each bridge's window from a binary-searched start is linear overall.
      const firstEndingAfter = (lo: bigint) => {
        let a = 0;
        let z = ranges.length;
        while (a < z) {
          const m = (a + z) >> 1;
          if (rangeIv(ranges[m]!).end <= lo) a = m + 1;
          else z = m;
        }
        return a;
      };
      for (const b of ctx.ir.bridges) {
        if (b.segment !== seg.segment || b.busStart > b.busEnd) continue;
        const w = bridgeWindow(b);
        const own: { lo: bigint; end: bigint }[] = [];
        const foreign: Iv<IrRidRange>[] = [];
        for (let i = firstEndingAfter(w.lo); i < ranges.length && BigInt(ranges[i]!.base) < w.end; i++) {
          const r = ranges[i]!;
          const iv = rangeIv(r);
          if (r.owner === b.id) own.push(iv);
          else foreign.push({ lo: iv.lo > w.lo ? iv.lo : w.lo, end: iv.end < w.end ? iv.end : w.end, item: r });
        }
        for (const m of gaps([...own, ...foreign], w.lo, w.end))
          report({
            message: `RIDs ${rangeText(m.lo, m.end)} of bridge '${b.id}' (buses ${hex(Number(m.lo >> 8n))}..${hex(Number((m.end - 1n) >> 8n))}) are in no RID-map range`,
            span: b.span,
            help: "Linux leaves such devices untranslated (no IOMMU); map them or shrink the bridge's bus range",
          });
        for (const f of foreign)
          report({
            message: `RIDs ${rangeText(f.lo, f.end)} are on buses of bridge '${b.id}' but the RID map gives them to ${ownerName(f.item)}`,
            span: b.span,
            related: f.item.owner ? [rel(`${ownerName(f.item)} is declared here`, ctx.bridges.get(f.item.owner))] : undefined,
          });
      }
    }
  },
});

function expectedTarget(b: IrHostBridge): { kind: 'smmu' | 'its' | 'none'; id: string | null } {
  if (b.iommu) return { kind: 'smmu', id: b.iommu };
  if (b.msiParent) return { kind: 'its', id: b.msiParent };
  return { kind: 'none', id: null };
}

export const ridTarget = check<ConfigCtx>({
  name: 'rid-target',
  code: 'IOT5003',
  level: 'error',
  target: 'config',
  title: 'a RID range goes somewhere its bridge did not declare (or nowhere by accident)',
  explain:
    'A bridge with an iommu must send all its RIDs to that SMMU; a bridge without one but with an ' +
    'MSI parent must send them straight to that ITS (bypass: no IOMMU, MSIs still translated); a ' +
    'bridge with neither is deliberately untranslated. A range that disagrees (wrong SMMU, ITS ' +
    'instead of SMMU, or no target although the bridge declared one) means devices get the wrong ' +
    'or no DMA translation. Unmapped-by-accident is an error here; unmapped-on-purpose is what ' +
    'rid-unmapped reports when enabled.',
  source: 'Linux iort_iommu_xlate() (RC->ITS mapping = no IOMMU), QEMU bypass_iommu carve-out; iort.md §2.2, §3',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    for (const seg of ctx.ir.segments)
      for (const r of seg.ridMap) {
        const t = r.target;
        if (t.kind === 'smmu' && !ctx.smmus.has(t.smmu))
          report({ message: `RID range ${rangeText(r.base, r.base + r.count)} targets SMMU '${t.smmu}', which does not exist`, span: r.owner ? ctx.bridges.get(r.owner)?.span : undefined });
        if (t.kind === 'its' && !ctx.its.has(t.its))
          report({ message: `RID range ${rangeText(r.base, r.base + r.count)} targets ITS '${t.its}', which does not exist`, span: r.owner ? ctx.bridges.get(r.owner)?.span : undefined });
        if (r.owner === null) continue;
        const b = ctx.bridges.get(r.owner);
        if (!b) continue;
        const want = expectedTarget(b);
        const got = t.kind === 'smmu' ? t.smmu : t.kind === 'its' ? t.its : null;
        if (want.kind === t.kind && want.id === got) continue;
        const wantText =
          want.kind === 'smmu' ? `SMMU '${want.id}'` : want.kind === 'its' ? `ITS '${want.id}' (bypass)` : 'nothing (the bridge has no iommu and no msi-parent)';
        const target = want.kind === 'smmu' ? ctx.smmus.get(want.id!) : want.kind === 'its' ? ctx.its.get(want.id!) : undefined;
        report({
          message: `RIDs ${rangeText(r.base, r.base + r.count)} of bridge '${b.id}' go to ${targetText(r)}, but the bridge declares ${wantText}`,
          span: b.span,
          related: target ? [rel(`${wantText} is declared here`, target)] : undefined,
        });
      }
  },
});

export const ridOutsideBridge = check<ConfigCtx>({
  name: 'rid-outside-bridge',
  code: 'IOT5004',
  level: 'warning',
  target: 'config',
  title: 'RIDs that belong to no host bridge are mapped to an SMMU',
  explain:
    'RIDs outside every bridge\'s bus range cannot be produced by any device, so a range that maps ' +
    'them to an SMMU only widens the StreamID space the SMMU must be ready for (and hides typos in ' +
    'bus ranges). Mapping the gaps to the ITS is what QEMU does (create_rc_its_idmaps() covers the ' +
    'complement of the SMMU ranges), so gap ranges that go to an ITS or nowhere are fine.',
  source: 'QEMU hw/arm/virt-acpi-build.c create_rc_its_idmaps(); iort.md §2.2',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    for (const seg of ctx.ir.segments)
      for (const r of seg.ridMap)
        if (r.owner === null && r.target.kind === 'smmu')
          report({
            message: `segment ${seg.segment}: RIDs ${rangeText(r.base, r.base + r.count)} belong to no host bridge but are mapped to ${targetText(r)}`,
            span: ctx.smmus.get(r.target.smmu)?.span,
          });
  },
});

export const ridUnmapped = check<ConfigCtx>({
  name: 'rid-unmapped',
  code: 'IOT5005',
  level: 'off',
  target: 'config',
  title: 'a host bridge deliberately reaches neither an SMMU nor an ITS',
  explain:
    'A bridge declared without iommu and without msi-parent leaves its devices untranslated and ' +
    'without MSIs. That can be intended (a legacy-interrupt-only bridge), so this check is off by ' +
    'default; enable it (-W rid-unmapped) to list such bridges. Accidental gaps are reported by ' +
    'rid-coverage and rid-target.',
  source: 'Linux iort_node_map_id(): no matching mapping -> the device has no IOMMU and no MSI domain; iort.md §3',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    for (const b of ctx.ir.bridges)
      if (!b.iommu && !b.msiParent)
        report({ message: `bridge '${b.id}' has neither an iommu nor an msi-parent: its devices get no DMA translation and no MSIs`, span: b.span });
  },
});

export const streamIdOverlap = check<ConfigCtx>({
  name: 'streamid-overlap',
  code: 'IOT5006',
  level: 'error',
  target: 'config',
  title: 'two RID ranges produce the same StreamIDs on one SMMU',
  explain:
    'An SMMU tells devices apart only by StreamID. When two RID ranges (from one bridge or two) are ' +
    'mapped into overlapping StreamID windows of the same SMMU, two different devices share a ' +
    'stream table entry: they share translations, faults are attributed to the wrong device, and ' +
    'assigning one to a VM leaks the other.',
  source: 'SMMUv3 architecture (StreamID selects the STE); IORT ID mapping output base; iort.md §1.4',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    const per = new Map<string, Iv<{ r: IrRidRange; seg: number }>[]>();
    for (const seg of ctx.ir.segments)
      for (const r of seg.ridMap)
        if (r.target.kind === 'smmu' && r.count > 0) {
          const lo = BigInt(r.target.streamBase);
          const l = per.get(r.target.smmu) ?? [];
          l.push({ lo, end: lo + BigInt(r.count), item: { r, seg: seg.segment } });
          per.set(r.target.smmu, l);
        }
    for (const [smmu, ivs] of per)
      sweepOverlaps(ivs, (a, b) =>
        report({
          message: `StreamIDs ${rangeText(b.lo, b.end)} of SMMU '${smmu}' are produced both by RIDs ${rangeText(b.item.r.base, b.item.r.base + b.item.r.count)} of segment ${b.item.seg} (${ownerName(b.item.r)}) and by RIDs ${rangeText(a.item.r.base, a.item.r.base + a.item.r.count)} of segment ${a.item.seg} (${ownerName(a.item.r)})`,
          span: (b.item.r.owner ? ctx.bridges.get(b.item.r.owner) : undefined)?.span ?? ctx.smmus.get(smmu)?.span,
          related: [rel(`${ownerName(a.item.r)} is declared here`, a.item.r.owner ? ctx.bridges.get(a.item.r.owner) : undefined)],
        }),
      );
  },
});

interface DevIdSource {
  what: string;
  span?: import('../../diag/span').Span;
}

export const deviceIdOverlap = check<ConfigCtx>({
  name: 'deviceid-overlap',
  code: 'IOT5007',
  level: 'error',
  target: 'config',
  title: 'two requesters produce the same ITS DeviceID',
  explain:
    'The ITS tells MSI writers apart only by DeviceID. DeviceIDs reach an ITS from root-complex ' +
    'ranges that bypass the IOMMU (RID -> DeviceID), from SMMU ID mappings (StreamID -> DeviceID, ' +
    'applied to the StreamIDs the SMMU really receives) and from an SMMU\'s own MSIs. If two of these ' +
    'windows overlap on one ITS, two devices share an interrupt translation table and MSIs are ' +
    'delivered to the wrong driver. Several host bridges sharing one ITS must offset their DeviceIDs.',
  source: 'GICv3 ITS DeviceID; fdt.md §3.4 (cloud-hypervisor offsets msi-base per segment); iort.md §1.10',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    const per = new Map<string, Iv<DevIdSource>[]>();
    const add = (its: string, lo: bigint, end: bigint, src: DevIdSource) => {
      const l = per.get(its) ?? [];
      l.push({ lo, end, item: src });
      per.set(its, l);
    };
    for (const seg of ctx.ir.segments)
      for (const r of seg.ridMap)
        if (r.target.kind === 'its' && r.count > 0) {
          const lo = BigInt(r.target.deviceBase);
          add(r.target.its, lo, lo + BigInt(r.count), {
            what: `RIDs ${rangeText(r.base, r.base + r.count)} of segment ${seg.segment} (${ownerName(r)}, bypass)`,
            span: r.owner ? ctx.bridges.get(r.owner)?.span : undefined,
          });
        }
    for (const s of ctx.ir.smmus) {
      const received = ctx.streamWindows(s.id);
      for (const m of s.msiMap) {
        const inLo = BigInt(m.base);
        for (const part of intersect(received, inLo, inLo + BigInt(m.count))) {
          const off = BigInt(m.outBase) - inLo;
          add(m.its, part.lo + off, part.end + off, { what: `StreamIDs ${rangeText(part.lo, part.end)} of SMMU '${s.id}'`, span: s.span });
        }
      }
      if (s.irqs.kind === 'msi' && s.irqs.msiIts && s.irqs.msiDeviceId !== undefined) {
        const d = BigInt(s.irqs.msiDeviceId);
        add(s.irqs.msiIts, d, d + 1n, { what: `the own MSIs of SMMU '${s.id}'`, span: s.span });
      }
    }
    for (const [its, ivs] of per)
      sweepOverlaps(ivs, (a, b) => {
        const lo = b.lo;
        const end = a.end < b.end ? a.end : b.end;
        report({
          message: `DeviceIDs ${rangeText(lo, end)} of ITS '${its}' are produced by ${b.item.what} and by ${a.item.what}`,
          span: b.item.span,
          related: [a.item.span ? { message: `${a.item.what} comes from here`, span: a.item.span } : { message: `${a.item.what}` }],
        });
      });
  },
});

export const ridChecks = [ridOverlap, ridCoverage, ridTarget, ridOutsideBridge, ridUnmapped, streamIdOverlap, deviceIdOverlap];
