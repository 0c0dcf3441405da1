/**
 * Hand-built IrMachine fixtures for the config checks. `cleanMachine()` passes every check;
 * each test mutates a copy so that exactly one rule breaks. Every declaration gets a span on
 * its own line of a fake file, so tests can assert where a finding points.
 */
import type { Span } from '../../src/diag/span';
import type { IrDevice, IrHostBridge, IrMachine, IrRmr, IrSmmu } from '../../src/ir/types';

export const FILE = 'fixture.iotopo';

export const sp = (line: number): Span => ({ file: FILE, line, col: 3, endLine: line, endCol: 10, offset: line * 100, length: 7 });

export const LINE = {
  machine: 1,
  its0: 2,
  smmu0: 3,
  pcie0: 4,
  pxb1: 5,
  rp0: 6,
  nic0: 7,
  nvme0: 8,
  rmr0: 9,
  extra: 20,
} as const;

export function smmu(id: string, line: number, over: Partial<IrSmmu> = {}): IrSmmu {
  return {
    id,
    base: 0x0905_0000n,
    size: 0x2_0000n,
    irqs: { kind: 'wired', event: 106, pri: 107, gerror: 109, sync: 108 },
    stage: 's1',
    host: null,
    coherent: true,
    ats: false,
    httu: 0,
    numa: null,
    msiMap: [],
    span: sp(line),
    ...over,
  };
}

export function bridge(id: string, line: number, over: Partial<IrHostBridge> = {}): IrHostBridge {
  return {
    id,
    kind: 'pxb',
    segment: 0,
    busStart: 0,
    busEnd: 0,
    iommu: null,
    msiParent: 'its0',
    ats: false,
    memLimit: 64,
    numa: null,
    parent: 'pcie.0',
    devfn: 0x18,
    hotplug: 0,
    ecamBase: null,
    span: sp(line),
    ...over,
  };
}

export function device(id: string, line: number, over: Partial<IrDevice> & { bus: number; devfn: number; bridge: string }): IrDevice {
  return {
    id,
    kind: 'emulated',
    port: null,
    segment: 0,
    rid: (over.bus << 8) | over.devfn,
    hostBdf: null,
    hostSmmu: null,
    model: null,
    span: sp(line),
    ...over,
  };
}

export function rmr(id: string, line: number, over: Partial<IrRmr> = {}): IrRmr {
  return {
    id,
    smmu: 'smmu0',
    streams: [{ base: 0x100, count: 1 }],
    ranges: [{ base: 0x0808_0000n, size: 0x2_0000n }],
    remappable: false,
    privileged: false,
    attributes: 0,
    devices: ['nic0'],
    span: sp(line),
    ...over,
  };
}

/**
 * A small custom machine: pcie.0 (buses 0..0xf) behind smmu0, pxb1 (buses 0x10..0x1f)
 * bypassing the IOMMU straight to its0, a root port with a NIC behind it and an NVMe on pxb1.
 */
export function cleanMachine(): IrMachine {
  return {
    name: 'fixture',
    profile: 'custom',
    iort: { revision: 5, revisionExplicit: false, oemId: 'IOTOPO', oemTableId: 'FIXTURE ', oemRevision: 1, creatorId: 'IOTO', creatorRevision: 1 },
    gic: { version: 3, distBase: 0x0800_0000n, distSize: 0x1_0000n, redistBase: 0x080a_0000n, redistSize: 0xf6_0000n, spiCount: 256, espi: false },
    its: [{ id: 'its0', base: 0x0808_0000n, size: 0x2_0000n, translationId: 0, span: sp(LINE.its0) }],
    smmus: [smmu('smmu0', LINE.smmu0, { msiMap: [{ base: 0, count: 0x1000, outBase: 0, its: 'its0' }] })],
    bridges: [
      bridge('pcie.0', LINE.pcie0, { kind: 'rc', busStart: 0, busEnd: 0x0f, iommu: 'smmu0', parent: null, devfn: null, ecamBase: 0x40_1000_0000n }),
      bridge('pxb1', LINE.pxb1, { busStart: 0x10, busEnd: 0x1f }),
    ],
    rootPorts: [{ id: 'rp0', bridge: 'pcie.0', devfn: 0x08, bus: 0, secondary: 1, subordinate: 1, chassis: null, span: sp(LINE.rp0) }],
    devices: [
      device('nic0', LINE.nic0, { bridge: 'pcie.0', port: 'rp0', bus: 1, devfn: 0 }),
      device('nvme0', LINE.nvme0, { bridge: 'pxb1', bus: 0x10, devfn: 0x08 }),
    ],
    rmrs: [],
    segments: [
      {
        segment: 0,
        ridMap: [
          { base: 0, count: 0x1000, target: { kind: 'smmu', smmu: 'smmu0', streamBase: 0 }, owner: 'pcie.0' },
          { base: 0x1000, count: 0x1000, target: { kind: 'its', its: 'its0', deviceBase: 0x1000 }, owner: 'pxb1' },
          { base: 0x2000, count: 0xe000, target: { kind: 'none' }, owner: null },
        ],
      },
    ],
    platform: [{ name: 'ram', base: 0x4000_0000n, size: 0x4000_0000n, spis: [] }],
    pciWindows: [{ bridge: 'pcie.0', kind: 'mem32', pciBase: 0x1000_0000n, cpuBase: 0x1000_0000n, size: 0x2eff_0000n }],
    span: sp(LINE.machine),
  };
}

/**
 * A nested setup on top of the clean machine: pxb1 goes through host-backed vSMMU vsmmu1
 * (host "hs1"), with a vfio GPU behind it that sits behind hs1 on the host, and an RMR keeping
 * the ITS doorbell mapped for its StreamID.
 */
export function nestedMachine(): IrMachine {
  const m = cleanMachine();
  m.smmus.push(
    smmu('vsmmu1', LINE.extra, {
      base: 0x0c00_0000n,
      irqs: { kind: 'wired', event: 144, pri: 145, gerror: 147, sync: 146 },
      stage: 'nested',
      host: 'hs1',
      msiMap: [{ base: 0x1000, count: 0x1000, outBase: 0x1000, its: 'its0' }],
    }),
  );
  const pxb = m.bridges.find((b) => b.id === 'pxb1')!;
  pxb.iommu = 'vsmmu1';
  m.segments[0]!.ridMap[1]!.target = { kind: 'smmu', smmu: 'vsmmu1', streamBase: 0x1000 };
  const nvme = m.devices.find((d) => d.id === 'nvme0')!;
  Object.assign(nvme, { kind: 'vfio', hostBdf: '0009:01:00.0', hostSmmu: 'hs1', model: null });
  m.rmrs.push(rmr('msi1', LINE.rmr0, { smmu: 'vsmmu1', streams: [{ base: 0x1008, count: 1 }], devices: ['nvme0'] }));
  return m;
}

export const clone = <T>(x: T): T => structuredClone(x);
