/** Profile rules and allocations, one rule per test, on small inline machines. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/ir/index';
import type { IrMachine } from '../../src/ir/types';

function ok(src: string, file = 't.iotopo'): IrMachine {
  const r = loadConfig(src, file);
  expect(r.diagnostics.map((d) => `${d.code} ${d.span?.line}:${d.span?.col} ${d.message}`)).toEqual([]);
  return r.value!;
}
function errs(src: string, file = 't.iotopo'): string[] {
  const r = loadConfig(src, file);
  expect(r.value).toBeNull();
  return r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
}
const CUSTOM_GIC = 'gic { dist 0x08000000; redist 0x080a0000; redist_size 0xf60000 }';

describe('qemu-virt profile', () => {
  it('defaults: GICv3, its0, pcie.0, platform map, windows, IORT ids', () => {
    const m = ok('machine m { }');
    expect(m.gic).toEqual({ version: 3, distBase: 0x0800_0000n, distSize: 0x1_0000n, redistBase: 0x080a_0000n, redistSize: 0xf6_0000n, spiCount: 256, espi: false });
    expect(m.its.map(({ span: _, ...i }) => i)).toEqual([{ id: 'its0', base: 0x0808_0000n, size: 0x2_0000n, translationId: 0 }]);
    expect(m.bridges).toHaveLength(1);
    expect(m.bridges[0]).toMatchObject({ id: 'pcie.0', kind: 'rc', segment: 0, busStart: 0, busEnd: 0, iommu: null, msiParent: 'its0', memLimit: 64, ecamBase: 0x40_1000_0000n, ats: false });
    expect(m.iort).toEqual({ revision: 3, revisionExplicit: false, oemId: 'BOCHS ', oemTableId: 'BXPC    ', oemRevision: 1, creatorId: 'BXPC', creatorRevision: 1 });
    expect(m.platform.find((p) => p.name === 'ram')).toEqual({ name: 'ram', base: 0x4000_0000n, size: 1n << 30n, spis: [] });
    expect(m.platform.find((p) => p.name === 'uart0')?.spis).toEqual([1]);
    expect(m.platform.find((p) => p.name === 'platform-bus')?.spis).toHaveLength(64);
    expect(m.pciWindows.map((w) => [w.kind, w.pciBase, w.cpuBase, w.size])).toEqual([
      ['io', 0n, 0x3eff_0000n, 0x1_0000n],
      ['mem32', 0x1000_0000n, 0x1000_0000n, 0x2eff_0000n],
      ['mem64', 0x80_0000_0000n, 0x80_0000_0000n, 0x80_0000_0000n],
    ]);
    // No SMMU: everything goes to the ITS.
    expect(m.segments[0]!.ridMap.map((r) => [r.base, r.count, r.target.kind, r.owner])).toEqual([
      [0, 0x100, 'its', 'pcie.0'],
      [0x100, 0xff00, 'its', null],
    ]);
  });

  it('memory sets the RAM region; platform regions are sorted by base', () => {
    const m = ok('machine m { memory 16G }');
    expect(m.platform.find((p) => p.name === 'ram')!.size).toBe(16n << 30n);
    const bases = m.platform.map((p) => p.base);
    expect([...bases].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(bases);
    expect(errs('machine m { memory 300G }')).toEqual(['IOT2003']);
  });

  it('one SMMU takes the legacy slot; several go to the platform bus', () => {
    const one = ok('machine m { smmuv3 s { } }');
    expect(one.smmus[0]).toMatchObject({ base: 0x0905_0000n, size: 0x2_0000n, stage: 's1', coherent: true, httu: 0, host: null, numa: null });
    expect(one.smmus[0]!.irqs).toEqual({ kind: 'wired', event: 106, pri: 107, gerror: 109, sync: 108 });
    const three = ok('machine m { smmuv3 a { }; smmuv3 b { }; smmuv3 c { spi 200 } }');
    expect(three.smmus.map((s) => s.base)).toEqual([0x0c00_0000n, 0x0c02_0000n, 0x0c04_0000n]);
    expect(three.smmus.map((s) => s.irqs.event)).toEqual([144, 148, 232]);
    // With several SMMUs nothing goes through one by default.
    expect(three.bridges[0]!.iommu).toBeNull();
    expect(three.smmus.every((s) => s.msiMap.length === 1 && s.msiMap[0]!.count === 0x1_0000)).toBe(true);
  });

  it('its off: no ITS, empty msiMap, gaps and bypassing bridges target none', () => {
    const m = ok('machine m { its off; smmuv3 s { }; pxb-pcie p { bus_nr 8; bypass true } }');
    expect(m.its).toEqual([]);
    expect(m.smmus[0]!.msiMap).toEqual([]);
    expect(m.bridges.map((b) => b.msiParent)).toEqual([null, null]);
    expect(m.segments[0]!.ridMap.map((r) => [r.base, r.count, r.target.kind])).toEqual([
      [0, 0x100, 'smmu'],
      [0x100, 0x700, 'none'],
      [0x800, 0x100, 'none'],
      [0x900, 0xf700, 'none'],
    ]);
    expect(errs('machine m { its off; pcie pcie.0 { msi its0 } }')).toEqual(['IOT2057']);
  });

  it('an RMR raises the default revision to 5 and gets QEMU’s MSI window', () => {
    const m = ok('machine m { smmuv3 s { }; rmr r { ids pcie.0 } }');
    expect(m.iort.revision).toBe(5);
    expect(m.iort.revisionExplicit).toBe(false);
    expect(m.rmrs[0]).toMatchObject({ smmu: 's', streams: [{ base: 0, count: 0x100 }], ranges: [{ base: 0x0800_0000n, size: 0x10_0000n }], remappable: false, privileged: false, attributes: 0 });
    expect(ok('machine m { iort { revision 6 } }').iort).toMatchObject({ revision: 6, revisionExplicit: true });
  });
});

describe('buses, slots and devices', () => {
  it('numbers buses like EDK2: ports by devfn, 1 + reserve each, hotplug at the end', () => {
    const m = ok(`machine m {
      root-port a { on pcie.0; addr 5 }
      root-port b { on pcie.0; addr 2; reserve 3 }
      pxb-pcie x { bus_nr 0x20; hotplug 2 }
      root-port c { on x }
      pxb-pcie y { bus_nr 0x40; buses 16 }
    }`);
    const port = (id: string) => m.rootPorts.find((p) => p.id === id)!;
    expect([port('b').secondary, port('b').subordinate]).toEqual([1, 4]);
    expect([port('a').secondary, port('a').subordinate]).toEqual([5, 5]);
    expect(port('a').devfn).toBe(5 << 3);
    expect(port('c')).toMatchObject({ bridge: 'x', bus: 0x20, secondary: 0x21, subordinate: 0x21, devfn: 0 });
    const br = (id: string) => m.bridges.find((b) => b.id === id)!;
    expect([br('pcie.0').busStart, br('pcie.0').busEnd]).toEqual([0, 5]);
    expect([br('x').busStart, br('x').busEnd]).toEqual([0x20, 0x23]);
    expect([br('y').busStart, br('y').busEnd]).toEqual([0x40, 0x4f]);
    // pxbs take slots on pcie.0 after the explicit ones (0 = host bridge).
    expect(br('x').devfn).toBe(1 << 3);
    expect(br('y').devfn).toBe(3 << 3);
  });

  it('places devices on a root complex, behind a port, and on a pxb through <id>.port', () => {
    const m = ok(`machine m {
      root-port rp { on pcie.0 }
      pxb-pcie x { bus_nr 0x10 }
      device d1 emulated { on pcie.0 }
      device d2 emulated { on rp; fn 1 }
      device g vfio { on x; addr 7; host "0001:02:03.4"; host_smmu "h0" }
    }`);
    const dev = (id: string) => m.devices.find((d) => d.id === id)!;
    expect(dev('d1')).toMatchObject({ bridge: 'pcie.0', port: null, bus: 0, devfn: 3 << 3, rid: 0x18 });
    expect(dev('d2')).toMatchObject({ bridge: 'pcie.0', port: 'rp', bus: 1, devfn: 1, rid: 0x101 });
    expect(dev('g')).toMatchObject({ bridge: 'x', port: 'g.port', bus: 0x11, devfn: 0, rid: 0x1100, hostBdf: '0001:02:03.4', hostSmmu: 'h0' });
    expect(m.rootPorts.find((p) => p.id === 'g.port')).toMatchObject({ bridge: 'x', devfn: 7 << 3, secondary: 0x11, chassis: null });
    expect(errs('machine m { smmuv3 g.port { }; pxb-pcie x { bus_nr 8 }; device g emulated { on x } }')).toEqual(['IOT2010']);
  });

  it('runs out of slots with an error, not a crash', () => {
    const ports = Array.from({ length: 32 }, (_, i) => `root-port p${i} { on pcie.0 }`).join('\n');
    expect(errs(`machine m {\n${ports}\n}`)).toEqual(['IOT2033']);
  });
});

describe('RMRs', () => {
  it('turns bridge, port and device ids into stream IDs and lists covered devices', () => {
    const m = ok(`machine m {
      smmuv3 s { }
      pxb-pcie x { bus_nr 0x10 }
      root-port rp { on pcie.0 }
      device a vfio { on x; host "0000:01:00.0" }
      device b emulated { on rp }
      rmr r1 { ids x; range 0x1000_0000 64K; remap true; privileged true; attributes 5 }
      rmr r2 { ids [rp, b, 0x300..0x3ff]; range 0x2000_0000 64K; range 0x3000_0000 1M }
    }`);
    expect(m.rmrs[0]).toMatchObject({ smmu: 's', streams: [{ base: 0x1000, count: 0x200 }], devices: ['a'], remappable: true, privileged: true, attributes: 5 });
    expect(m.rmrs[1]!.streams).toEqual([
      { base: 0x100, count: 0x100 },
      { base: 0x100, count: 1 },
      { base: 0x300, count: 0x100 },
    ]);
    expect(m.rmrs[1]!.devices).toEqual(['b']);
    expect(m.rmrs[1]!.ranges).toHaveLength(2);
  });
});

describe('custom profile', () => {
  it('requires what it cannot guess and reports all of it', () => {
    expect(errs('machine m { profile custom; pcie p { }; smmuv3 s { }; its i { } }').sort()).toEqual(
      ['IOT2004', 'IOT2004', 'IOT2004', 'IOT2004', 'IOT2004', 'IOT2054'].sort(),
    );
  });

  it('segments shift stream IDs; msiMap is the union of the SMMU’s stream ranges', () => {
    const m = ok(`machine m {
      profile custom
      ${CUSTOM_GIC}
      its i0 { base 0x0808_0000 }
      smmuv3 s0 { base 0x0900_0000; spi 10 }
      smmuv3 s1 { base 0x0904_0000; event_gsiv 80; gerror_gsiv 81 }
      pcie p0 { segment 0; ecam 0x40_0000_0000; bus_range 0..3; iommu s0 }
      pcie p1 { segment 2; ecam 0x50_0000_0000; iommu s1 }
      pxb-pcie x { bus p1; bus_nr 0x10; iommu s1 }
      pxb-pcie y { bus p1; bus_nr 0x20; iommu none }
    }`);
    expect(m.iort).toMatchObject({ revision: 5, oemId: 'IOTOPO', oemTableId: 'IOTOPO  ', creatorId: 'IOTO' });
    expect(m.smmus[1]!.irqs).toEqual({ kind: 'wired', event: 80, pri: 0, gerror: 81, sync: 0 });
    expect(m.segments.map((s) => s.segment)).toEqual([0, 2]);
    const seg2 = m.segments[1]!.ridMap;
    expect(seg2.map((r) => [r.base, r.count, r.target, r.owner])).toEqual([
      [0, 0x100, { kind: 'smmu', smmu: 's1', streamBase: 0x2_0000 }, 'p1'],
      [0x100, 0xf00, { kind: 'none' }, null],
      [0x1000, 0x100, { kind: 'smmu', smmu: 's1', streamBase: 0x2_1000 }, 'x'],
      [0x1100, 0xf00, { kind: 'none' }, null],
      [0x2000, 0x100, { kind: 'its', its: 'i0', deviceBase: 0x2_2000 }, 'y'],
      [0x2100, 0xdf00, { kind: 'none' }, null],
    ]);
    expect(m.smmus[0]!.msiMap).toEqual([{ base: 0, count: 0x400, outBase: 0, its: 'i0' }]);
    expect(m.smmus[1]!.msiMap).toEqual([
      { base: 0x2_0000, count: 0x100, outBase: 0x2_0000, its: 'i0' },
      { base: 0x2_1000, count: 0x100, outBase: 0x2_1000, its: 'i0' },
    ]);
    expect(m.platform).toEqual([]);
  });

  it('SMMU interrupts by MSI and combined', () => {
    const m = ok(`machine m {
      profile custom
      ${CUSTOM_GIC}
      its i0 { base 0x0808_0000 }
      smmuv3 a { base 0x0900_0000; msi_its i0; msi_device_id 0x10000 }
      smmuv3 b { base 0x0904_0000; combined_gsiv 99; httu af-dirty }
    }`);
    expect(m.smmus[0]!.irqs).toEqual({ kind: 'msi', event: 0, pri: 0, gerror: 0, sync: 0, msiIts: 'i0', msiDeviceId: 0x10000 });
    expect(m.smmus[1]!.irqs).toEqual({ kind: 'combined', event: 99, pri: 99, gerror: 99, sync: 99 });
    expect(m.smmus[1]!.httu).toBe(2);
  });
});
