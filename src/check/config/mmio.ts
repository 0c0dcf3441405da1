/** MMIO checks: SMMU register windows, and no two windows of the machine overlap. */
import type { Span } from '../../diag/span';
import type { IrPlatformRegion } from '../../ir/types';
import { check } from '../define';
import { hex, rangeText, sweepOverlaps, type Iv } from '../intervals';
import type { ConfigCtx } from './context';
import { hostOf, smmuSpis } from './context';

const SZ_64K = 0x10000n;
const SZ_128K = 0x20000n;

export const smmuMmioLayout = check<ConfigCtx>({
  name: 'smmu-mmio-layout',
  code: 'IOT5020',
  level: 'error',
  target: 'config',
  title: 'an SMMUv3 register window is not 64 KiB aligned and 128 KiB long',
  explain:
    'An SMMUv3 has two 64 KiB register pages (page 0 and page 1), so its window is 128 KiB and ' +
    'starts on a 64 KiB boundary. Linux maps SZ_128K from the IORT base or the DT reg (64 KiB only ' +
    'for the Cavium CN99xx page-0 quirk); QEMU\'s SMMU_IO_LEN is 0x20000 and nested vSMMUs are laid ' +
    'out at base + i * SMMU_IO_LEN.',
  source: 'SMMUv3 architecture (register pages); Linux arm_smmu_resource_size(); QEMU SMMU_IO_LEN; iort.md §1.10, fdt.md §3.1',
  prereqs: [],
  run(ctx, report) {
    for (const s of ctx.ir.smmus) {
      if (s.base % SZ_64K !== 0n) report({ message: `SMMU '${s.id}' base ${hex(s.base)} is not 64 KiB aligned`, span: s.span });
      if (s.size !== SZ_128K) report({ message: `SMMU '${s.id}' window is ${hex(s.size)} bytes; an SMMUv3 needs 0x20000 (128 KiB)`, span: s.span });
    }
  },
});

interface Window {
  what: string;
  span?: Span;
  /** The platform region the profile placed this window in, if any. */
  host?: IrPlatformRegion;
}

export const mmioOverlap = check<ConfigCtx>({
  name: 'mmio-overlap',
  code: 'IOT5021',
  level: 'error',
  target: 'config',
  title: 'two MMIO windows overlap',
  explain:
    'SMMU register windows, ITS frames, the GIC distributor and redistributors, each segment\'s ECAM ' +
    '(1 MiB per bus from bus 0), the PCI MMIO/IO windows, RAM and the profile\'s other fixed regions ' +
    'must not share addresses: the guest would program one device through another\'s registers, and ' +
    'QEMU refuses overlapping sysbus mappings or silently lets one shadow the other. A window the ' +
    'profile places inside one of its regions (the legacy SMMU slot, the platform bus for dynamic ' +
    'SMMUs, the ECAM window) is hosted there, not overlapping it; overlaps between two fixed ' +
    'regions of the profile are not reported.',
  source: 'QEMU hw/arm/virt.c base_memmap and the platform bus; seed 000 (VIRT_NESTED_SMMU window); fdt.md §4.1',
  prereqs: [],
  run(ctx, report) {
    const platform = ctx.ir.platform;
    const user: Iv<Window>[] = [];
    const add = (base: bigint, size: bigint, w: Omit<Window, 'host'>, spis: number[] = [], ecam = false) => {
      if (size > 0n) user.push({ lo: base, end: base + size, item: { ...w, host: hostOf(platform, base, size, spis, ecam) } });
    };
    for (const s of ctx.ir.smmus) add(s.base, s.size, { what: `SMMU '${s.id}'`, span: s.span }, smmuSpis(s));
    for (const i of ctx.ir.its) add(i.base, i.size, { what: `ITS '${i.id}'`, span: i.span });
    const maxBus = new Map<number, number>();
    for (const b of ctx.ir.bridges) maxBus.set(b.segment, Math.max(maxBus.get(b.segment) ?? 0, b.busEnd));
    for (const b of ctx.ir.bridges)
      if (b.ecamBase !== null)
        add(b.ecamBase, BigInt((maxBus.get(b.segment) ?? 0) + 1) << 20n, { what: `the ECAM of '${b.id}' (segment ${b.segment})`, span: b.span }, [], true);
    for (const w of ctx.ir.pciWindows) add(w.cpuBase, w.size, { what: `the ${w.kind} window of '${w.bridge}'`, span: ctx.bridges.get(w.bridge)?.span });

    // Declared windows among themselves: one sweep.
    sweepOverlaps(user, (a, b) => {
      const end = a.end < b.end ? a.end : b.end;
      report({
        message: `${b.item.what} at ${rangeText(b.lo, b.end)} overlaps ${a.item.what} at ${rangeText(a.lo, a.end)} (shared ${rangeText(b.lo, end)})`,
        span: b.item.span ?? ctx.machineSpan,
        related: [a.item.span ? { message: `${a.item.what} is declared here`, span: a.item.span } : { message: a.item.what }],
      });
    });

    // Declared windows against the fixed regions (GIC + the profile's list). The fixed list is a
    // small constant of the profile, so walking it per window stays linear in the config.
    const g = ctx.ir.gic;
    const fixed: { lo: bigint; end: bigint; what: string; region?: IrPlatformRegion }[] = [
      { lo: g.distBase, end: g.distBase + g.distSize, what: 'the GIC distributor' },
      { lo: g.redistBase, end: g.redistBase + g.redistSize, what: 'the GIC redistributors' },
      ...platform.map((r) => ({ lo: r.base, end: r.base + r.size, what: `platform region '${r.name}'`, region: r })),
    ].filter((f) => f.end > f.lo);
    for (const u of [...user].sort((x, y) => (x.lo < y.lo ? -1 : x.lo > y.lo ? 1 : 0))) {
      for (const f of fixed) {
        if (f.lo >= u.end || f.end <= u.lo) continue;
        if (f.region && f.region === u.item.host) continue;
        // The profile's own description of the same window (same base and size) is not a clash.
        if (f.lo === u.lo && f.end === u.end) continue;
        const lo = f.lo > u.lo ? f.lo : u.lo;
        const end = f.end < u.end ? f.end : u.end;
        report({
          message: `${u.item.what} at ${rangeText(u.lo, u.end)} overlaps ${f.what} at ${rangeText(f.lo, f.end)} (shared ${rangeText(lo, end)})`,
          span: u.item.span ?? ctx.machineSpan,
          related: [{ message: `${f.what} is fixed by the '${ctx.ir.profile}' profile` }],
        });
        break;
      }
    }
  },
});

export const mmioChecks = [smmuMmioLayout, mmioOverlap];
