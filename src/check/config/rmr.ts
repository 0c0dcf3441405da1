/** RMR checks: reserved memory ranges and the StreamIDs they apply to. */
import type { IrMemRange, IrRmr } from '../../ir/types';
import { check } from '../define';
import { covered, hex, rangeText, sweepOverlaps, union, type Iv } from '../intervals';
import type { ConfigCtx } from './context';
import { rel, rmrLabel } from './context';

const SZ_64K = 0x10000n;

export const rmrAlignment = check<ConfigCtx>({
  name: 'rmr-alignment',
  code: 'IOT5040',
  level: 'error',
  target: 'config',
  title: 'an RMR range is not 64 KiB aligned',
  explain:
    'IORT RMR memory range descriptors must have a 64 KiB aligned base and a length that is a ' +
    'multiple of 64 KiB. Linux logs FW_BUG "RMR descriptor[...] not aligned to 64K, continue with ' +
    '[...]" and rounds to pages, so the identity mapping it installs differs from the one described; ' +
    'acpiview reports an error.',
  source: 'IORT E.d RMR memory range descriptor; Linux iort_get_rmrs(); EDK2 acpiview IortParser.c; iort.md §1.12, §3',
  prereqs: [],
  run(ctx, report) {
    for (const r of ctx.ir.rmrs)
      for (const m of r.ranges)
        if (m.base % SZ_64K !== 0n || m.size % SZ_64K !== 0n)
          report({
            message: `${rmrLabel(r)} range base ${hex(m.base)} length ${hex(m.size)} is not 64 KiB aligned`,
            span: r.span,
            help: 'Linux: FW_BUG "RMR descriptor[...] not aligned to 64K, continue with [...]"',
          });
  },
});

export const rmrZeroLength = check<ConfigCtx>({
  name: 'rmr-zero-length',
  code: 'IOT5041',
  level: 'error',
  target: 'config',
  title: 'an RMR has no range, or a range of length 0',
  explain:
    'An RMR node needs at least one memory range descriptor, and each descriptor a non-zero length. ' +
    'Linux silently ignores an RMR node with no descriptors and logs FW_BUG "... with zero length, ' +
    'continue anyway" for an empty one; EDK2 refuses to generate the node.',
  source: 'Linux iort_node_get_rmr_info(), iort_get_rmrs(); EDK2 IortGenerator.c; iort.md §3, §4',
  prereqs: [],
  run(ctx, report) {
    for (const r of ctx.ir.rmrs) {
      if (r.ranges.length === 0) report({ message: `${rmrLabel(r)} has no memory range`, span: r.span });
      for (const m of r.ranges)
        if (m.size === 0n) report({ message: `${rmrLabel(r)} range at ${hex(m.base)} has length 0`, span: r.span });
    }
  },
});

export const rmrOverlap = check<ConfigCtx>({
  name: 'rmr-overlap',
  code: 'IOT5042',
  level: 'warning',
  target: 'config',
  title: 'RMR ranges of one SMMU overlap',
  explain:
    'Overlapping descriptors within one RMR node make Linux log FW_BUG "... overlaps, continue ' +
    'anyway"; two RMRs of the same SMMU covering the same memory reserve it twice, possibly with ' +
    'different attributes (remappable, privileged, cacheability), and which wins depends on how the ' +
    'IOMMU core merges reserved regions. RMRs of different SMMUs may cover the same memory (one ' +
    'per vSMMU for a shared ITS doorbell is the normal case).',
  source: 'Linux iort_get_rmrs() overlap FW_BUG, iommu_get_resv_regions(); iort.md §3, §7.6',
  prereqs: [],
  run(ctx, report) {
    const bySmmu = new Map<string, Iv<{ r: IrRmr; m: IrMemRange }>[]>();
    for (const r of ctx.ir.rmrs) {
      const l = bySmmu.get(r.smmu) ?? [];
      for (const m of r.ranges) l.push({ lo: m.base, end: m.base + m.size, item: { r, m } });
      bySmmu.set(r.smmu, l);
    }
    for (const [smmu, ivs] of bySmmu)
      sweepOverlaps(ivs, (a, b) =>
        report({
          message:
            a.item.r === b.item.r
              ? `${rmrLabel(b.item.r)} ranges ${rangeText(b.lo, b.end)} and ${rangeText(a.lo, a.end)} overlap (Linux: FW_BUG "... overlaps, continue anyway")`
              : `${rmrLabel(b.item.r)} range ${rangeText(b.lo, b.end)} overlaps ${rangeText(a.lo, a.end)} of ${rmrLabel(a.item.r)}, both for SMMU '${smmu}'`,
          span: b.item.r.span,
          related: a.item.r === b.item.r ? undefined : [rel(`${rmrLabel(a.item.r)} is declared here`, a.item.r)],
        }),
      );
  },
});

export const rmrStreams = check<ConfigCtx>({
  name: 'rmr-streams',
  code: 'IOT5043',
  level: 'error',
  target: 'config',
  title: 'an RMR names StreamIDs its SMMU never receives',
  explain:
    'The StreamIDs of an RMR are the output side of its ID mappings towards one SMMU; Linux installs ' +
    'bypass STEs for them at probe (arm_smmu_rmr_install_bypass_ste). They must be StreamIDs that ' +
    'SMMU actually receives from the RID map (the devices and bridges behind it), else the ' +
    'reservation protects nothing and the bypass STEs point at no device.',
  source: 'Linux iort_get_rmrs() (SIDs = output_base..output_base+id_count), arm-smmu-v3 RMR bypass STEs; iort.md §1.12, §3',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    for (const r of ctx.ir.rmrs) {
      const smmu = ctx.smmus.get(r.smmu);
      if (!smmu) {
        report({ message: `${rmrLabel(r)} applies to SMMU '${r.smmu}', which does not exist`, span: r.span });
        continue;
      }
      if (r.streams.length === 0) report({ message: `${rmrLabel(r)} names no StreamID (Linux: FW_BUG "Invalid ID mapping, skipping RMR node")`, span: r.span });
      const win = ctx.streamWindows(smmu.id);
      for (const s of r.streams) {
        const lo = BigInt(s.base);
        if (s.count <= 0) report({ message: `${rmrLabel(r)} has an empty StreamID range at ${hex(s.base)}`, span: r.span });
        else if (!covered(win, lo, lo + BigInt(s.count)))
          report({
            message: `${rmrLabel(r)} StreamIDs ${rangeText(lo, lo + BigInt(s.count))} are not all received by SMMU '${smmu.id}' (it receives ${win.length ? win.map((w) => rangeText(w.lo, w.end)).join(', ') : 'no StreamIDs'})`,
            span: r.span,
            related: [rel(`SMMU '${smmu.id}' is declared here`, smmu)],
          });
      }
    }
  },
});

export const rmrDevices = check<ConfigCtx>({
  name: 'rmr-devices',
  code: 'IOT5044',
  level: 'error',
  target: 'config',
  title: 'a device named by an RMR is not behind its SMMU or not in its StreamIDs',
  explain:
    'Each device an RMR is declared for must reach the RMR\'s SMMU and its StreamID must be one of the ' +
    'RMR\'s StreamIDs; otherwise the device\'s accesses to the reserved region fault as soon as the ' +
    'OS takes over the SMMU (the reason RMRs exist: firmware-set-up DMA such as MSI doorbells or ' +
    'framebuffers).',
  source: 'IORT E.d RMR node semantics; Linux iort_iommu_get_resv_regions(); iort.md §3',
  prereqs: ['rid-overlap'],
  run(ctx, report) {
    for (const r of ctx.ir.rmrs) {
      const mine = union(r.streams.map((s) => ({ lo: BigInt(s.base), end: BigInt(s.base) + BigInt(s.count) })));
      for (const id of r.devices) {
        const d = ctx.devices.get(id);
        if (!d) {
          report({ message: `${rmrLabel(r)} names device '${id}', which does not exist`, span: r.span });
          continue;
        }
        const via = ctx.smmuOfDevice(d);
        if (!via || via.smmu.id !== r.smmu)
          report({
            message: `${rmrLabel(r)} is for SMMU '${r.smmu}' but device '${d.id}' ${via ? `goes through SMMU '${via.smmu.id}'` : 'is behind no SMMU'}`,
            span: r.span,
            related: [rel(`device '${d.id}' is declared here`, d)],
          });
        else if (!covered(mine, BigInt(via.streamId), BigInt(via.streamId) + 1n))
          report({
            message: `${rmrLabel(r)} names device '${d.id}' but its StreamID ${hex(via.streamId)} is not among the RMR's StreamIDs`,
            span: r.span,
            related: [rel(`device '${d.id}' is declared here`, d)],
          });
      }
    }
  },
});

export const rmrRevision = check<ConfigCtx>({
  name: 'rmr-revision',
  code: 'IOT5045',
  level: 'error',
  target: 'config',
  title: 'RMRs with an IORT revision below 5 are ignored by Linux',
  explain:
    'Linux parses RMR nodes only when the IORT table revision is at least 5 (E.d): iort_find_rmrs() ' +
    'returns at once otherwise ("Only supports ARM DEN 0049E.d onwards"). With revision 3 the RMR ' +
    'is emitted but never applied, so the devices it protects fault when the SMMU is enabled.',
  source: 'Linux drivers/acpi/arm64/iort.c iort_find_rmrs(); iort.md §1.2, §3',
  prereqs: [],
  run(ctx, report) {
    if (ctx.ir.iort.revision >= 5) return;
    for (const r of ctx.ir.rmrs)
      report({
        message: `${rmrLabel(r)} is emitted in an IORT of revision ${ctx.ir.iort.revision}; Linux ignores RMR nodes below revision 5`,
        span: r.span,
        help: 'use IORT revision 5 or 6',
      });
  },
});

export const rmrChecks = [rmrAlignment, rmrZeroLength, rmrOverlap, rmrStreams, rmrDevices, rmrRevision];
